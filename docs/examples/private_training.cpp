// Making training private (docs/guide.md, "Making training private").
#include <iostream>
#include <memory>
#include <vector>

#include <veil/veil.h>

using namespace veil;

namespace {

// Two Gaussian blobs in 8 dimensions, one per class.
std::shared_ptr<data::TensorDataset> blobs(std::int64_t n, std::uint64_t seed) {
  Tensor x = Tensor::normal({n, 8}, 0.0, 1.0, seed);
  std::vector<std::int64_t> labels(n);
  float* p = x.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels[i] = i % 2;
    p[i * 8] += labels[i] ? 2.0f : -2.0f;
  }
  return std::make_shared<data::TensorDataset>(x, Tensor::from_vector(labels, {n}));
}

std::shared_ptr<Sequential> make_model(std::uint64_t seed) {
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(8, 16, seed), std::make_shared<ReLU>(), std::make_shared<Linear>(16, 2, seed + 1)});
}

double mean_loss(Module& model, const data::TensorDataset& ds) {
  NoGradGuard no_grad;
  return cross_entropy(model(ds.inputs()), ds.targets()).item();
}

}  // namespace

int main() try {
  auto train = blobs(1000, /*seed=*/1);
  auto model = make_model(/*seed=*/2);
  const double loss_before = mean_loss(*model, *train);

  data::DataLoader loader(train, /*batch_size=*/50, /*shuffle=*/true, /*drop_last=*/false, /*seed=*/3);
  PrivacyEngine engine("rdp");
  auto priv = engine.make_private(*model, std::make_unique<SGD>(model->parameters(), SGDOptions{.lr = 0.2}), loader,
                                  /*noise_multiplier=*/1.1, /*max_grad_norm=*/1.0);
  // q = 50 / 1000: each step includes every example with probability 0.05.
  VEIL_CHECK(priv.loader->sample_rate() == 0.05);

  const std::int64_t steps = 2 * priv.loader->steps_per_epoch();  // two epochs
  priv.loader->for_each_batch(0, steps, [&](std::int64_t, const data::Batch& batch) {
    cross_entropy(model->forward(batch.inputs), batch.targets).backward();  // a mean loss, as loss_reduction says
    priv.optimizer->step();  // clip, sum, add noise, divide by q*N, update
  });
  const double epsilon = engine.get_epsilon(/*delta=*/1e-5).epsilon;

  const double loss_after = mean_loss(*model, *train);
  std::cout << "loss " << loss_before << " -> " << loss_after << ", epsilon " << epsilon << " at delta 1e-5\n";
  VEIL_CHECK(loss_after < loss_before && priv.optimizer->steps_taken() == steps && epsilon > 0);

  // Or name the target and let veil choose sigma; the budget refuses any step
  // that would go past it.
  auto calibrated = make_model(/*seed=*/5);
  PrivacyEngine budgeted("rdp");
  budgeted.set_epsilon_budget(/*max_epsilon=*/3.0, /*delta=*/1e-5);
  auto priv_calibrated = budgeted.make_private_with_epsilon(
      *calibrated, std::make_unique<SGD>(calibrated->parameters(), SGDOptions{.lr = 0.2}), loader,
      /*target_epsilon=*/3.0, /*target_delta=*/1e-5, /*epochs=*/2, /*max_grad_norm=*/1.0);
  std::cout << "sigma for epsilon 3 over 2 epochs: " << priv_calibrated.optimizer->options().noise_multiplier << "\n";
  priv_calibrated.loader->for_each_batch(0, steps, [&](std::int64_t, const data::Batch& batch) {
    cross_entropy(calibrated->forward(batch.inputs), batch.targets).backward();
    priv_calibrated.optimizer->step();
  });
  VEIL_CHECK(budgeted.get_epsilon(1e-5).epsilon <= 3.0);
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
