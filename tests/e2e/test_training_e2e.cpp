#include <catch2/catch.hpp>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/ops.h"
#include "veil/data/data_loader.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/privacy/privacy_engine.h"

using namespace veil;

namespace {

// A learnable synthetic task: 28x28 images whose label is the quadrant (0-3)
// holding a bright square, plus noise.
std::shared_ptr<data::TensorDataset> quadrant_dataset(std::int64_t n, std::uint64_t seed) {
  Tensor images = Tensor::uniform({n, 1, 28, 28}, 0, 0.3, seed);
  std::vector<std::int64_t> labels(n);
  float* p = images.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    labels[i] = i % 4;
    const std::int64_t y0 = (labels[i] / 2) * 14 + 3, x0 = (labels[i] % 2) * 14 + 3;
    for (std::int64_t y = y0; y < y0 + 8; ++y)
      for (std::int64_t x = x0; x < x0 + 8; ++x) p[i * 784 + y * 28 + x] = 1.0f;
  }
  return std::make_shared<data::TensorDataset>(images, Tensor::from_vector(labels, {n}));
}

double mean_loss(Module& model, const data::TensorDataset& ds) {
  NoGradGuard no_grad;
  return cross_entropy(model(ds.inputs()), ds.targets()).item();
}

}  // namespace

TEST_CASE("DP-SGD training on a small synthetic task lowers the loss and spends privacy", "[e2e]") {
  auto train = quadrant_dataset(400, 1);
  SampleConvNet model(5);
  data::DataLoader loader(train, 40, true, false, 3);
  PrivacyEngine engine;
  auto priv = engine.make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.5}), loader, 0.5, 1.0,
                                  {.seed = 9});
  REQUIRE(priv.loader->sample_rate() == Approx(0.1));
  const double before = mean_loss(model, *train);
  std::int64_t examples = 0;
  priv.loader->for_each_batch(0, 60, [&](std::int64_t, const data::Batch& b) {
    cross_entropy(model(b.inputs), b.targets).backward();
    priv.optimizer->step();
    examples += b.size();
  });
  const double after = mean_loss(model, *train);
  INFO("loss " << before << " -> " << after);
  REQUIRE(after < 0.7 * before);
  REQUIRE(examples == Approx(60 * 40).margin(4 * std::sqrt(60 * 40.0)));  // Poisson batches, rate 0.1
  const auto eps = engine.get_epsilon(1e-5);
  REQUIRE(eps.epsilon > 0);
  REQUIRE(std::isfinite(eps.epsilon));
  REQUIRE(priv.optimizer->ledger().total_steps() == 60);
}

TEST_CASE("A privacy budget refuses the step that would exceed it", "[e2e][budget]") {
  auto train = quadrant_dataset(100, 2);
  SampleConvNet model(6);
  data::DataLoader loader(train, 50, true, false, 3);
  PrivacyEngine engine;
  engine.set_epsilon_budget(3.0, 1e-5);
  auto priv = engine.make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}), loader, 2.5, 1.0);
  std::int64_t steps = 0;
  REQUIRE_THROWS_WITH(priv.loader->for_each_batch(0, 1000, [&](std::int64_t, const data::Batch& b) {
    cross_entropy(model(b.inputs), b.targets).backward();
    priv.optimizer->step();
    ++steps;
  }), Catch::Contains("privacy budget exhausted"));
  REQUIRE(steps > 0);
  REQUIRE(engine.get_epsilon(1e-5).epsilon <= 3.0);
}

TEST_CASE("Secure mode draws batches and noise from the OS, not the seed", "[e2e][secure]") {
  auto train = quadrant_dataset(200, 3);
  data::DataLoader loader(train, 20, true, false, 3);
  std::vector<std::vector<std::int64_t>> batches;
  std::vector<std::vector<float>> weights;
  for (int run = 0; run < 2; ++run) {
    SampleConvNet model(7);
    PrivacyEngine engine("rdp", /*secure_mode=*/true);
    auto priv = engine.make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}), loader, 1.0,
                                    1.0, {.seed = 42});
    batches.push_back(priv.loader->indices(0));
    priv.loader->for_each_batch(0, 3, [&](std::int64_t, const data::Batch& b) {
      cross_entropy(model(b.inputs), b.targets).backward();
      priv.optimizer->step();
    });
    weights.push_back(model.parameters()[0].to_vector<float>());
    REQUIRE(engine.get_epsilon(1e-5).epsilon > 0);
  }
  // With the same seed, a non-secure run would repeat both exactly.
  REQUIRE(batches[0] != batches[1]);
  REQUIRE(weights[0] != weights[1]);
}
