// Steps recorded as CUDA graphs and replayed (Note [Captured steps],
// core/graphed_step.h): a replayed DP step equals the eager step bit for
// bit, replays read new inputs, what a graph cannot hold is refused with a
// clear error, and the graph's memory stays reserved while it lives (Note
// [Private pools], core/caching_allocator.h).
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include "support/cuda_agreement.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_graph.h"
#include "veil/core/device_runtime.h"
#include "veil/core/graphed_step.h"
#include "veil/core/host_reads.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using namespace veil::testing;

namespace {

constexpr std::int64_t kBatch = 16;

struct Trainer {
  SampleConvNet net{5};
  std::unique_ptr<DPOptimizer> dp;

  explicit Trainer(Device device) {
    net.to(device);
    DPOptimizerOptions options;
    options.noise_multiplier = 1.0;
    options.clipping.max_grad_norm = 0.5;
    options.expected_batch_size = static_cast<double>(kBatch);
    options.sample_rate = 0.01;
    options.noise_seed = 42;
    dp = std::make_unique<DPOptimizer>(net, std::make_unique<SGD>(net.parameters(), SGDOptions{0.1, 0.9}), options);
  }
};

struct Batch {
  Tensor x, y;
};

std::vector<Batch> batches(Device device, int count) {
  std::vector<Batch> out;
  for (int k = 0; k < count; ++k) {
    std::vector<std::int64_t> labels;
    for (std::int64_t i = 0; i < kBatch; ++i) labels.push_back((i * 7 + k) % 10);
    out.push_back({Tensor::uniform({kBatch, 1, 28, 28}, 0, 1, 100 + k).to(device),
                   Tensor::from_vector<std::int64_t>(labels, {kBatch}).to(device)});
  }
  return out;
}

// Forward, loss, backward and clipping, recorded; noise and the update run eagerly.
GraphedStep::Step dp_step(Trainer& t) {
  return [&t](const std::vector<Tensor>& in) -> GraphedStep::Result {
    Tensor loss = cross_entropy(t.net(in[0]), in[1]);
    loss.backward();
    t.dp->accumulate_microbatch();
    return {{loss}, [&t, record = t.dp->pending_record()] { t.dp->restore_pending(record); }};
  };
}

}  // namespace

TEST_CASE("a recorded DP step replayed N times equals N eager steps bit for bit", "[cuda][graphed_step]") {
  const Device g = gpu();
  const std::vector<Batch> data = batches(g, 3);
  Trainer eager(g), graphed(g);
  GraphedStep step(dp_step(graphed));
  constexpr int kSteps = 7;
  Tensor previous_loss;
  for (int s = 0; s < kSteps; ++s) {
    INFO("step " << s);
    const Batch& b = data[static_cast<std::size_t>(s) % data.size()];
    const Tensor eager_loss = cross_entropy(eager.net(b.x), b.y);
    eager_loss.backward();
    eager.dp->step();

    const std::uint64_t reads = host_read_count();
    const Tensor graphed_loss = step.run({b.x, b.y})[0].clone();
    graphed.dp->step();
    REQUIRE(host_read_count() == reads);  // the graphed step reads nothing back either

    require_bitwise_agrees(graphed_loss, on_cpu(eager_loss));
    // New inputs give new results: the replay read this step's batch.
    if (previous_loss.defined()) REQUIRE(on_cpu(graphed_loss).item() != on_cpu(previous_loss).item());
    previous_loss = graphed_loss;
    const auto e = eager.net.named_parameters(), r = graphed.net.named_parameters();
    for (std::size_t k = 0; k < e.size(); ++k) {
      INFO(e[k].first);
      require_bitwise_agrees(r[k].second.detach(), on_cpu(e[k].second.detach()));
    }
    REQUIRE(graphed.dp->last_clipping().batch_size == kBatch);
    require_bitwise_agrees(graphed.dp->last_clipping().norms, on_cpu(eager.dp->last_clipping().norms));
  }
  REQUIRE(step.recordings() == 1);
  REQUIRE(step.replays() == kSteps - 1);  // all but the warm-up
  REQUIRE(graphed.dp->non_finite_examples() == eager.dp->non_finite_examples());
}

TEST_CASE("a replay reads the new inputs and rewrites the same outputs", "[cuda][graphed_step]") {
  const Device g = gpu();
  GraphedStep step([](const std::vector<Tensor>& in) -> GraphedStep::Result {
    return {{add_scalar(mul_scalar(in[0], 2.0), 1.0)}, {}};
  });
  const Tensor a = Tensor::uniform({5, 3}, -1, 1, 1).to(g), b = Tensor::uniform({5, 3}, -1, 1, 2).to(g);
  const Tensor expect_a = add_scalar(mul_scalar(a, 2.0), 1.0), expect_b = add_scalar(mul_scalar(b, 2.0), 1.0);
  require_bitwise_agrees(step.run({a})[0], on_cpu(expect_a));  // eager
  const Tensor recorded = step.run({a})[0];                     // recorded and replayed
  require_bitwise_agrees(recorded, on_cpu(expect_a));
  const Tensor replayed = step.run({b})[0];
  require_bitwise_agrees(replayed, on_cpu(expect_b));
  REQUIRE(replayed.raw_data() == recorded.raw_data());
  REQUIRE(step.replays() == 2);

  // Another shape gets a graph of its own; with room for one, the older one goes.
  GraphedStep bounded(
      [](const std::vector<Tensor>& in) -> GraphedStep::Result { return {{mul_scalar(in[0], 3.0)}, {}}; }, 1);
  const Tensor small = Tensor::uniform({4}, -1, 1, 3).to(g), large = Tensor::uniform({6}, -1, 1, 4).to(g);
  for (int k = 0; k < 2; ++k) {
    require_bitwise_agrees(bounded.run({small})[0], on_cpu(mul_scalar(small, 3.0)));
    require_bitwise_agrees(bounded.run({large})[0], on_cpu(mul_scalar(large, 3.0)));
  }
  REQUIRE(bounded.graphs() == 1);
  REQUIRE(bounded.recordings() == 2);
  require_bitwise_agrees(bounded.run({small})[0], on_cpu(mul_scalar(small, 3.0)));  // recorded again
  REQUIRE(bounded.recordings() == 3);
}

TEST_CASE("a host read, a wait or a host copy inside a recording is refused clearly", "[cuda][graphed_step]") {
  const Device g = gpu();
  const Tensor x = Tensor::uniform({8}, -1, 1, 5).to(g);
  REQUIRE_THROWS_WITH(capture_device_graph(g, [&] { (void)mul_scalar(x, 2.0).item(); }),
                      Catch::Contains("inside a captured CUDA graph") && Catch::Contains("read it after the step"));
  REQUIRE_THROWS_WITH(capture_device_graph(g, [&] { synchronize(g); }),
                      Catch::Contains("inside a CUDA graph capture"));
  REQUIRE_THROWS_WITH(capture_device_graph(g, [&] { (void)Tensor::ones({8}).to(g); }),
                      Catch::Contains("copying host memory to cuda"));
  REQUIRE_FALSE(capturing_graph(g));
  // The device works as before.
  require_same(on_cpu(mul_scalar(x, 2.0)), mul_scalar(on_cpu(x), 2.0), 0.0);

  // Through GraphedStep: the warm-up runs eagerly, the recording refuses.
  GraphedStep step([](const std::vector<Tensor>& in) -> GraphedStep::Result {
    (void)sum(in[0]).item();
    return {{in[0]}, {}};
  });
  REQUIRE_NOTHROW(step.run({x}));
  REQUIRE_THROWS_WITH(step.run({x}), Catch::Contains("inside a captured CUDA graph"));
}

TEST_CASE("a graph's memory stays reserved while it lives and is reused after", "[cuda][graphed_step]") {
  const Device g = gpu();
  const Shape shape{1237, 7};  // an unusual size, so nothing else takes the block
  const Tensor x = Tensor::uniform(shape, -1, 1, 6).to(g);
  Tensor output;
  std::unique_ptr<DeviceGraph> graph = capture_device_graph(g, [&] { output = mul_scalar(x, 2.0); });
  const void* reserved = output.raw_data();
  graph->replay();
  require_bitwise_agrees(output, mul_scalar(on_cpu(x), 2.0));
  output = Tensor();  // freed: the graph still writes there
  {
    const Tensor eager = Tensor::empty(shape, DType::Float32, g);
    REQUIRE(eager.raw_data() != reserved);
  }
  // Another thread's allocations during a capture come from the general cache.
  const void* elsewhere = nullptr;
  std::unique_ptr<DeviceGraph> second = capture_device_graph(g, [&] {
    std::thread([&] { elsewhere = Tensor::empty(shape, DType::Float32, g).raw_data(); }).join();
  });
  REQUIRE(elsewhere != reserved);
  graph.reset();
  second.reset();
  const Tensor after = Tensor::empty(shape, DType::Float32, g);
  REQUIRE(after.raw_data() == reserved);  // back in the cache
}

// The data loader copies batches to the GPU from its own thread at any time
// (Note [Capturing a device's work], core/cuda/cuda_context.h): its copies
// must run, not land in a graph being recorded on the training thread.
TEST_CASE("another thread's copies to the GPU during recordings stay out of the graphs", "[cuda][graphed_step]") {
  const Device g = gpu();
  const Tensor host = Tensor::uniform({4096}, -1, 1, 9);
  const Tensor x = Tensor::uniform({64}, -1, 1, 8).to(g);
  std::atomic<bool> stop{false};
  std::atomic<int> copies{0};
  Tensor last_copy;
  std::thread loader([&] {
    while (!stop) {
      last_copy = host.to(g);
      ++copies;
    }
  });
  while (copies == 0) std::this_thread::yield();
  Tensor output;
  std::unique_ptr<DeviceGraph> graph;
  for (int k = 0; k < 50; ++k) graph = capture_device_graph(g, [&] { output = mul_scalar(x, 2.0); });
  stop = true;
  loader.join();
  graph->replay();
  require_bitwise_agrees(output, mul_scalar(on_cpu(x), 2.0));
  require_bitwise_agrees(last_copy, host);
}
