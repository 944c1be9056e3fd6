// Recording a step as a CUDA graph (docs/guide.md, "Core types"):
// GraphedStep replays forward, loss, backward and clipping on a GPU, and on
// the CPU runs them directly; noise and the update run eagerly either way.
#include <iostream>
#include <memory>
#include <vector>

#include <veil/veil.h>

using namespace veil;

namespace {

struct Batch {
  Tensor x, y;
};

// Fixed-size batches of two Gaussian blobs in 8 dimensions, one per class.
std::vector<Batch> blobs(int count, std::int64_t size, Device device) {
  std::vector<Batch> batches;
  for (int k = 0; k < count; ++k) {
    Tensor x = Tensor::normal({size, 8}, 0.0, 1.0, /*seed=*/10 + static_cast<std::uint64_t>(k));
    std::vector<std::int64_t> labels(static_cast<std::size_t>(size));
    float* p = x.data<float>();
    for (std::int64_t i = 0; i < size; ++i) {
      labels[i] = i % 2;
      p[i * 8] += labels[i] ? 2.0f : -2.0f;
    }
    batches.push_back({x.to(device), Tensor::from_vector(labels, {size}).to(device)});
  }
  return batches;
}

double mean_loss(Module& model, const std::vector<Batch>& batches) {
  NoGradGuard no_grad;
  double total = 0;
  for (const Batch& b : batches) total += cross_entropy(model.forward(b.x), b.y).item();
  return total / static_cast<double>(batches.size());
}

}  // namespace

int main() try {
  const Device device = cuda_available() ? Device::cuda() : Device::cpu();
  const std::vector<Batch> batches = blobs(4, 50, device);
  auto model = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(8, 16, 2), std::make_shared<ReLU>(), std::make_shared<Linear>(16, 2, 3)});
  model->to(device);
  DPOptimizerOptions options;
  options.noise_multiplier = 0.5;
  options.clipping.max_grad_norm = 1.0;
  options.expected_batch_size = 50;
  options.sample_rate = 0.05;
  options.noise_seed = 4;
  DPOptimizer dp(*model, std::make_unique<SGD>(model->parameters(), SGDOptions{.lr = 0.2}), options);
  const double loss_before = mean_loss(*model, batches);
  const std::int64_t steps = 40;

  GraphedStep graphed([&](const std::vector<Tensor>& in) -> GraphedStep::Result {
    Tensor loss = cross_entropy(model->forward(in[0]), in[1]);
    loss.backward();
    dp.accumulate_microbatch();
    // Host state the step leaves, put back after each replay.
    return {{loss}, [&dp, pending = dp.pending_record()] { dp.restore_pending(pending); }};
  });
  for (std::int64_t step = 0; step < steps; ++step) {
    const Batch& b = batches[static_cast<std::size_t>(step) % batches.size()];  // fixed-size batches
    Tensor loss = graphed.run({b.x, b.y})[0];
    dp.step();  // noise and update
  }

  const double loss_after = mean_loss(*model, batches);
  std::cout << "on " << device << ": loss " << loss_before << " -> " << loss_after << ", " << graphed.replays()
            << " graph replays\n";
  // On a GPU every step but the first replays a graph; on the CPU none does.
  VEIL_CHECK(loss_after < loss_before && dp.steps_taken() == steps &&
             graphed.replays() == (device.is_cuda() ? steps - 1 : 0));
  return 0;
} catch (const std::exception& e) {
  std::cerr << "graphed_steps: " << e.what() << "\n";
  return 1;
}
