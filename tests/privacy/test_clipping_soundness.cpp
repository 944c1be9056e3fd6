// No gradient escapes clipping (issue: privacy soundness, items 3, 4 and 7):
// layers called several times and parameters shared between layers give
// the per-example gradients a single-example loop gives; parameters used
// outside a per-sample layer, steps without records and uncovered
// parameters are refused; non-finite examples contribute zero.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/conv2d.h"
#include "veil/layers/embedding.h"
#include "veil/layers/flatten.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/per_sample_math.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/privacy/validator.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using namespace veil::testing;

namespace {

// fc(tanh(fc(x))): one Linear called twice; x [B, D] or [B, T, D].
struct RepeatedLinear : Module {
  std::shared_ptr<Linear> fc = register_module("fc", std::make_shared<Linear>(4, 4, 3));
  RepeatedLinear() : Module("RepeatedLinear") {}
  Tensor forward(const Tensor& x) override { return (*fc)(tanh((*fc)(x))); }
};

// conv(tanh(conv(x))) flattened: one Conv2d called twice.
struct RepeatedConv : Module {
  std::shared_ptr<Conv2d> conv = register_module("conv", std::make_shared<Conv2d>(2, 2, 3, 5, 1, 1));
  RepeatedConv() : Module("RepeatedConv") {}
  Tensor forward(const Tensor& x) override { return (*conv)(tanh((*conv)(x))).flatten(1); }
};

// ln(fc(ln(x))): a LayerNorm (materialised rule) called twice.
struct RepeatedLayerNorm : Module {
  std::shared_ptr<LayerNorm> ln = register_module("ln", std::make_shared<LayerNorm>(Shape{4}));
  std::shared_ptr<Linear> fc = register_module("fc", std::make_shared<Linear>(4, 4, 9));
  RepeatedLayerNorm() : Module("RepeatedLayerNorm") {
    // Non-trivial affine parameters, so that their gradients differ per call.
    ln->named_parameters()[0].second.copy_(Tensor::uniform({4}, 0.5, 1.5, 11));
    ln->named_parameters()[1].second.copy_(Tensor::uniform({4}, -0.5, 0.5, 12));
  }
  Tensor forward(const Tensor& x) override { return (*ln)(tanh((*fc)((*ln)(x)))); }
};

// An output projection tied to the embedding table: logits = tanh(E[idx]) E^T.
// Inputs are float and cast to indices, so the per-sample checks can slice them.
struct TiedEmbedding : Module {
  std::shared_ptr<Embedding> embedding = register_module("embedding", std::make_shared<Embedding>(7, 3, 4));
  std::shared_ptr<Linear> projection = register_module("projection", std::make_shared<Linear>(embedding->weight()));
  TiedEmbedding() : Module("TiedEmbedding") {}
  Tensor forward(const Tensor& x) override { return (*projection)(tanh((*embedding)(x.to(DType::Int64)))); }
};

// The per-example gradients from single-example backward passes with
// per-sample recording off: the ground truth for any sharing pattern.
std::vector<std::vector<Tensor>> single_example_grads(Module& model, const Tensor& input, const PerExampleLoss& loss) {
  model.set_per_sample({GradSampleMode::Off, LossReduction::Sum});
  std::vector<std::vector<Tensor>> out;
  for (std::int64_t i = 0; i < input.size(0); ++i) {
    model.zero_grad();
    sum(loss(model(input.slice(0, i, i + 1)), i)).backward();
    auto& grads = out.emplace_back();
    for (const Tensor& p : model.parameters())
      grads.push_back(p.grad().defined() ? p.grad().clone() : Tensor::zeros(p.shape(), p.dtype()));
  }
  model.zero_grad();
  return out;
}

// Clipping through the per-sample routes equals clipping the single-example
// gradients: the same norms and the same clipped sums.
void check_clipping_matches_loop(Module& model, const Tensor& input, const PerExampleLoss& loss, double clip) {
  const auto truth = single_example_grads(model, input, loss);
  const auto params = model.parameters();
  std::vector<double> norms;
  std::vector<Tensor> expected;
  for (const Tensor& p : params) expected.push_back(Tensor::zeros(p.shape(), p.dtype()));
  for (const auto& grads : truth) {
    double sq = 0.0;
    for (const Tensor& g : grads) sq += per_sample::row_sq_norms(g.reshape({1, -1})).item();
    const double n = std::sqrt(sq), c = std::min(1.0, clip / (n + 1e-6));
    norms.push_back(n);
    for (std::size_t p = 0; p < params.size(); ++p) expected[p] = add(expected[p], mul_scalar(grads[p], c));
  }
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost, GradSampleMode::Auto}) {
    INFO("route " << grad_sample_mode_name(mode));
    model.zero_grad();
    model.set_per_sample({mode, LossReduction::Sum});
    sum(loss(model(input), 0)).backward();
    const ClippingStats stats = clip_and_accumulate(model.per_sample_layers(), {clip, {}});
    const std::vector<double> got = stats.norm_values();
    REQUIRE(got.size() == norms.size());
    for (std::size_t i = 0; i < norms.size(); ++i) REQUIRE(got[i] == Approx(norms[i]).epsilon(1e-4));
    for (std::size_t p = 0; p < params.size(); ++p) {
      INFO("parameter " << p);
      REQUIRE(params[p].grad().defined());
      REQUIRE(allclose(params[p].grad(), expected[p], 1e-4, 1e-6));
    }
  }
  model.zero_grad();
  model.set_per_sample({GradSampleMode::Off, LossReduction::Sum});
}

DPOptimizerOptions no_noise(double clip, double expected_batch) {
  DPOptimizerOptions options;
  options.noise_multiplier = 0.0;
  options.clipping.max_grad_norm = clip;
  options.expected_batch_size = expected_batch;
  options.sample_rate = 0.5;
  return options;
}

}  // namespace

TEST_CASE("A Linear called twice in one forward: per-sample gradients sum over the calls", "[privacy][per_sample]") {
  RepeatedLinear model;
  for (const Tensor& x : {Tensor::uniform({5, 4}, -1, 1, 21), Tensor::uniform({3, 2, 4}, -1, 1, 22)}) {
    INFO("input of rank " << x.dim());
    check_per_sample_gradients(model, x, random_projection_loss(1));
    check_per_sample_gradients(model, x, random_projection_loss(2), {LossReduction::Mean});
    check_clipping_matches_loop(model, x, random_projection_loss(3), 0.05);
  }
}

TEST_CASE("A Conv2d called twice in one forward: per-sample gradients sum over the calls", "[privacy][per_sample]") {
  RepeatedConv model;
  const Tensor x = Tensor::uniform({4, 2, 5, 5}, -1, 1, 23);
  check_per_sample_gradients(model, x, random_projection_loss(4));
  check_clipping_matches_loop(model, x, random_projection_loss(5), 0.05);
}

TEST_CASE("A LayerNorm called twice in one forward: per-sample gradients sum over the calls",
          "[privacy][per_sample]") {
  RepeatedLayerNorm model;
  const Tensor x = Tensor::uniform({5, 4}, -1, 1, 24);
  check_per_sample_gradients(model, x, random_projection_loss(6));
  check_clipping_matches_loop(model, x, random_projection_loss(7), 0.05);
}

TEST_CASE("A weight shared by an Embedding and a Linear is clipped on its summed per-sample gradient",
          "[privacy][per_sample]") {
  TiedEmbedding model;
  REQUIRE(model.parameters().size() == 1);  // the shared table, listed once
  REQUIRE(model.named_parameters()[0].first == "embedding.weight");
  const Tensor idx = Tensor::from_vector<float>({4, 0, 6, 4, 2, 1, 3, 3, 5, 0, 6, 2}, {4, 3});
  check_clipping_matches_loop(model, idx, random_projection_loss(8), 0.05);
  check_clipping_matches_loop(model, idx, random_projection_loss(9), 1e6);  // nothing clipped
  REQUIRE(validate_for_dp(model).empty());
}

TEST_CASE("Records of two separate backward passes are refused, not merged", "[privacy][per_sample]") {
  RepeatedLinear model;
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  sum((model)(Tensor::uniform({2, 4}, -1, 1, 25))).backward();
  REQUIRE_THROWS_WITH(sum((model)(Tensor::uniform({2, 4}, -1, 1, 26))).backward(),
                      Catch::Contains("ran backward twice"));
}

TEST_CASE("A parameter also used through a plain op is refused, not updated unclipped", "[privacy][dp_optimizer]") {
  // The weight-tying reproduction: matmul(tanh(fc(x)), fc.weight) gives
  // fc.weight an ordinary autograd gradient beside its per-sample one.
  struct TiedThroughMatmul : Module {
    std::shared_ptr<Linear> fc = register_module("fc", std::make_shared<Linear>(3, 3, 7));
    TiedThroughMatmul() : Module("TiedThroughMatmul") {}
    Tensor forward(const Tensor& x) override { return matmul(tanh((*fc)(x)), fc->weight()); }
  } model;
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), no_noise(1e-3, 2));
  const Tensor before = model.fc->weight().clone();
  sum(model(Tensor::uniform({2, 3}, -1, 1, 27))).backward();
  REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("'fc.weight'") && Catch::Contains("did not come from per-sample"));
  REQUIRE(max_abs_diff(model.fc->weight(), before) == 0.0);
}

TEST_CASE("A step without per-sample records is refused", "[privacy][dp_optimizer]") {
  Linear model(3, 2, 1);
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), no_noise(1.0, 2));
  const Tensor x = Tensor::uniform({2, 3}, -1, 1, 28);
  SECTION("per-sample mode switched off after construction") {
    model.set_per_sample({GradSampleMode::Off, LossReduction::Sum});
    sum(model(x)).backward();
    REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("'weight'") && Catch::Contains("did not come from per-sample"));
    REQUIRE(dp.ledger().empty());
  }
  SECTION("no backward at all") {
    REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("no per-sample gradients were recorded"));
    REQUIRE(dp.ledger().empty());
  }
}

TEST_CASE("A layer parameter that its per-sample rule does not cover is refused", "[privacy][validator]") {
  // A custom layer that registers a parameter its per-sample rule omits.
  struct LeakyLayer : Linear {
    Tensor extra = register_parameter("extra", Tensor::zeros({3}));
    LeakyLayer() : Linear(3, 3, 1) {}
    Tensor forward(const Tensor& x) override { return add(Linear::forward(x), extra); }
  } model;
  const auto problems = validate_for_dp(model);
  REQUIRE(problems.size() == 1);
  REQUIRE_THAT(problems[0], Catch::Contains("'extra'") && Catch::Contains("does not cover"));
  REQUIRE_THROWS_WITH(DPOptimizer(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), no_noise(1, 2)),
                      Catch::Contains("'extra'"));
}

TEST_CASE("The clipped sum replaces .grad", "[privacy][dp_optimizer]") {
  // Two micro-batches of one logical batch: .grad never holds anything but
  // clipped sums, and a stray gradient set between them is refused.
  Linear model(3, 2, 1);
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{1.0}), no_noise(1e-3, 4));
  sum(model(Tensor::uniform({2, 3}, -1, 1, 29))).backward();
  dp.accumulate_microbatch();
  REQUIRE_FALSE(model.weight().grad().defined());
  model.weight().set_grad(Tensor::ones({2, 3}));
  sum(model(Tensor::uniform({2, 3}, -1, 1, 30))).backward();
  REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("'weight'"));
  // Without the stray gradient: the update is at most B*C/(qN) per step.
  dp.zero_grad();
  const Tensor before = model.weight().clone();
  sum(model(Tensor::uniform({4, 3}, -10, 10, 31))).backward();
  dp.step();
  const Tensor delta = sub(model.weight(), before);
  REQUIRE(std::sqrt(per_sample::row_sq_norms(delta.reshape({1, -1})).item()) <= 4 * 1e-3 / 4 + 1e-9);
}

TEST_CASE("A non-finite example contributes zero and is counted; or stops training when asked",
          "[privacy][clipping]") {
  const Tensor x = Tensor::uniform({5, 1, 28, 28}, 0, 1, 32);
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4}, {5});
  const std::vector<std::int64_t> keep = {0, 1, 3, 4};
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
      INFO("bad value " << bad << ", route " << grad_sample_mode_name(mode));
      Tensor corrupt = x.clone();
      corrupt.slice(0, 2, 3).fill_(bad);
      // Reference: the same step on the four good examples alone.
      SampleConvNet reference(1), dropped(1);
      for (Module* m : {static_cast<Module*>(&reference), static_cast<Module*>(&dropped)})
        m->set_per_sample({mode, LossReduction::Sum});
      DPOptimizer ref_dp(reference, std::make_unique<SGD>(reference.parameters(), SGDOptions{0.5}), no_noise(0.1, 5));
      DPOptimizer dp(dropped, std::make_unique<SGD>(dropped.parameters(), SGDOptions{0.5}), no_noise(0.1, 5));
      const Tensor good_idx = Tensor::from_vector<std::int64_t>(keep, {4});
      cross_entropy(reference(index_select(x, good_idx)), index_select(y, good_idx), LossReduction::Sum).backward();
      ref_dp.step();
      cross_entropy(dropped(corrupt), y, LossReduction::Sum).backward();
      dp.step();
      REQUIRE(dp.last_clipping().non_finite_examples() == 1);
      REQUIRE(dp.non_finite_examples() == 1);
      const auto a = reference.parameters(), b = dropped.parameters();
      for (std::size_t k = 0; k < a.size(); ++k) {
        INFO("parameter " << k);
        REQUIRE(allclose(b[k], a[k], 1e-5, 1e-6));
      }
    }
  }
  SampleConvNet strict(1);
  strict.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizerOptions options = no_noise(0.1, 5);
  options.clipping.non_finite = NonFinitePolicy::Error;
  DPOptimizer dp(strict, std::make_unique<SGD>(strict.parameters(), SGDOptions{0.5}), options);
  Tensor corrupt = x.clone();
  corrupt.slice(0, 3, 4).fill_(std::numeric_limits<float>::quiet_NaN());
  cross_entropy(strict(corrupt), y, LossReduction::Sum).backward();
  REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("example 3 of the batch"));
}
