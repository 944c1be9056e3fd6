#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/privacy/dp_optimizer.h"
#include "veil/privacy/privacy_engine.h"

using namespace veil;

namespace {

struct Fixture {
  Tensor x = Tensor::uniform({6, 1, 28, 28}, 0, 1, 3);
  Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4, 5}, {6});
};

}  // namespace

TEST_CASE("DP step with sigma 0 and no clipping equals the plain optimizer", "[privacy][dp_optimizer]") {
  Fixture f;
  const double expected_batch = 6.0;
  SampleConvNet plain(1), priv(1);
  SGD sgd(plain.parameters(), SGDOptions{0.1});
  // Plain: sum loss divided by the expected batch size, as DP-SGD does.
  mul_scalar(cross_entropy(plain(f.x), f.y, LossReduction::Sum), 1.0 / expected_batch).backward();
  sgd.step();

  DPOptimizerOptions options;
  options.noise_multiplier = 0.0;
  options.clipping.max_grad_norm = std::numeric_limits<double>::infinity();
  options.expected_batch_size = expected_batch;
  options.sample_rate = 0.5;
  priv.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizer dp(priv, std::make_unique<SGD>(priv.parameters(), SGDOptions{0.1}), options);
  cross_entropy(priv(f.x), f.y, LossReduction::Sum).backward();
  dp.step();
  const auto a = plain.named_parameters();
  const auto b = priv.named_parameters();
  for (std::size_t k = 0; k < a.size(); ++k) {
    INFO(a[k].first);
    REQUIRE(allclose(a[k].second, b[k].second, 1e-5, 1e-6));
  }
  // Every step is recorded; sigma 0 makes epsilon infinite.
  REQUIRE(dp.ledger().total_steps() == 1);
  REQUIRE(dp.ledger().has_noiseless_step());
}

TEST_CASE("Clipped per-sample contributions have norm at most C", "[privacy][clipping]") {
  Fixture f;
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    SampleConvNet net(2);
    net.set_per_sample({mode, LossReduction::Sum});
    mul_scalar(cross_entropy(net(f.x), f.y, LossReduction::Sum), 10.0).backward();
    // Per-sample gradients, then the clipped sum of each example alone.
    std::vector<std::vector<Tensor>> samples;
    for (PerSampleLayer* layer : net.per_sample_layers()) samples.push_back(layer->grad_samples());
    const double c = 0.5;
    ClippingStats stats = clip_and_accumulate(net.per_sample_layers(), {c, {}});
    REQUIRE(stats.batch_size == 6);
    REQUIRE(stats.clipped_fraction() == 1.0);  // a 10x loss puts every example above 0.5
    double total_sq = 0.0;
    for (std::int64_t i = 0; i < 6; ++i) {
      double sq = 0.0;
      for (auto& layer : samples)
        for (auto& gs : layer) sq += std::pow(std::sqrt(sum(mul(gs.slice(0, i, i + 1), gs.slice(0, i, i + 1))).item()), 2);
      const double factor = std::min(1.0, c / (std::sqrt(sq) + 1e-6));
      REQUIRE(std::sqrt(sq) == Approx(stats.norm_values()[i]).epsilon(1e-4));
      REQUIRE(factor * std::sqrt(sq) <= c * (1 + 1e-6));
      total_sq += sq;
    }
    REQUIRE(total_sq > 0);
    // The accumulated clipped sum is a sum of 6 vectors of norm <= C.
    double sum_sq = 0.0;
    for (const Tensor& p : net.parameters()) sum_sq += sum(mul(p.grad(), p.grad())).item();
    REQUIRE(std::sqrt(sum_sq) <= 6 * c * (1 + 1e-6));
  }
}

TEST_CASE("Noise has the configured standard deviation and an empty batch still steps", "[privacy][dp_optimizer]") {
  Linear model(50, 40, 1);
  DPOptimizerOptions options;
  options.noise_multiplier = 2.0;
  options.clipping.max_grad_norm = 0.5;
  options.expected_batch_size = 1.0;
  options.sample_rate = 0.01;
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
  const Tensor before = model.weight().clone();
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), options);
  // Empty Poisson batch: forward/backward on zero examples, then a noise-only step.
  sum(model(Tensor::zeros({0, 50}))).backward();
  dp.step();
  const auto delta = sub(before, model.weight()).to_vector<double>();  // = noise (lr 1, scale 1)
  double mean = 0, var = 0;
  for (double d : delta) mean += d;
  mean /= delta.size();
  for (double d : delta) var += (d - mean) * (d - mean);
  var /= delta.size() - 1;
  REQUIRE(std::fabs(mean) < 4 * 1.0 / std::sqrt(2000.0));
  REQUIRE(std::sqrt(var) == Approx(1.0).epsilon(0.06));  // sigma * C = 1
  REQUIRE(dp.ledger().total_steps() == 1);
  REQUIRE(dp.steps_taken() == 1);
}

TEST_CASE("The ledger replays to the Opacus MNIST example figures", "[privacy][engine]") {
  privacy::PrivacyLedger ledger;
  ledger.record(1.0 / 300, 1.0, 300);
  REQUIRE(epsilon_of(ledger, "rdp", 1e-5).epsilon == Approx(0.87).margin(0.005));
  ledger.record(1.0 / 300, 1.0, 2700);
  REQUIRE(epsilon_of(ledger, "rdp", 1e-5).epsilon == Approx(1.21).margin(0.005));
}

TEST_CASE("Clipping refuses a non-finite per-sample gradient when asked to", "[privacy][clipping]") {
  Linear layer(3, 2, 1);
  layer.set_per_sample({GradSampleMode::Ghost, LossReduction::Sum});
  Tensor x = Tensor::from_vector<float>({1, 2, 3, NAN, 1, 1}, {2, 3});
  sum(layer(x)).backward();
  REQUIRE_THROWS_WITH(clip_and_accumulate(layer.per_sample_layers(), {1.0, {}, NonFinitePolicy::Error}),
                      Catch::Contains("example 1 of the batch has a non-finite gradient norm"));
}
