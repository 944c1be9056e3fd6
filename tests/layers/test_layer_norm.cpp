#include <catch2/catch.hpp>
#include <cmath>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/sequential.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Moves gamma and beta away from ones and zeros so that tests see them.
void randomize_affine(LayerNorm& layer, std::uint64_t seed) {
  Tensor(layer.weight()).copy_(Tensor::uniform(layer.weight().shape(), 0.5, 1.5, seed, 0));
  Tensor(layer.bias()).copy_(Tensor::uniform(layer.bias().shape(), -0.5, 0.5, seed, 1));
}

// Direct loops: each block of `features` trailing values normalised with
// its biased variance, then scaled and shifted element by element.
Tensor naive_layer_norm(const Tensor& x, std::int64_t features, const Tensor& gamma, const Tensor& beta, double eps) {
  const auto in = x.to_vector<double>();
  const auto g = gamma.to_vector<double>(), b = beta.to_vector<double>();
  std::vector<double> out(in.size());
  for (std::size_t r = 0; r < in.size() / features; ++r) {
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < features; ++j) mean += in[r * features + j] / features;
    for (std::int64_t j = 0; j < features; ++j) var += std::pow(in[r * features + j] - mean, 2) / features;
    for (std::int64_t j = 0; j < features; ++j)
      out[r * features + j] = (in[r * features + j] - mean) / std::sqrt(var + eps) * g[j] + b[j];
  }
  return Tensor::from_vector<double>(out, x.shape());
}

}  // namespace

TEST_CASE("LayerNorm matches the formula over 1 and 2 trailing dims", "[layers][layer_norm]") {
  const Tensor x = Tensor::uniform({3, 4, 5}, -2, 3, 1, 0, DType::Float64);
  LayerNorm last({5});
  LayerNorm last_two({4, 5}, 1e-3);
  for (LayerNorm* layer : {&last, &last_two}) {
    layer->to(DType::Float64);
    randomize_affine(*layer, 2);
    INFO(layer->describe());
    const std::int64_t features = layer->weight().numel();
    REQUIRE(allclose(layer->forward(x), naive_layer_norm(x, features, layer->weight(), layer->bias(),
                                                         layer == &last ? 1e-5 : 1e-3),
                     1e-10, 1e-10));
  }
  // Without affine the output rows have mean 0 and variance 1 (up to eps).
  LayerNorm plain({5}, 1e-5, false);
  REQUIRE(plain.parameters().empty());
  const Tensor y = plain(x.to(DType::Float32));
  REQUIRE(max_abs_diff(mean(y, {2}), Tensor::zeros({3, 4})) < 1e-5);
  REQUIRE(max_abs_diff(mean(mul(y, y), {2}), Tensor::ones({3, 4})) < 1e-3);
  REQUIRE_THROWS_AS(last(Tensor::zeros({3, 4})), Error);
  REQUIRE_THROWS_AS(last_two(Tensor::zeros({4, 5})), Error);  // no batch dimension
  REQUIRE_THROWS_AS(LayerNorm(Shape{}), Error);
}

TEST_CASE("LayerNorm gradients match finite differences", "[layers][layer_norm][gradcheck]") {
  struct Case {
    Shape normalized, input;
    bool affine;
  };
  for (const Case& c : {Case{{5}, {4, 5}, true}, Case{{4}, {2, 3, 4}, true}, Case{{3, 4}, {2, 3, 4}, true},
                        Case{{4}, {3, 4}, false}}) {
    LayerNorm layer(c.normalized, 1e-5, c.affine);
    layer.to(DType::Float64);
    if (c.affine) randomize_affine(layer, 3);
    INFO(layer.describe() << " input " << shape_string(c.input));
    check_module_gradients(layer, Tensor::uniform(c.input, -1, 1, 4, 0, DType::Float64), random_projection_loss(5));
  }
}

TEST_CASE("LayerNorm per-sample gradients", "[layers][layer_norm][per_sample]") {
  struct Case {
    Shape normalized, input;
  };
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (const Case& c : {Case{{6}, {5, 6}}, Case{{6}, {3, 4, 6}}, Case{{4, 6}, {3, 4, 6}}, Case{{6}, {1, 6}},
                          Case{{2, 3}, {1, 2, 3}}}) {
      LayerNorm layer(c.normalized);
      randomize_affine(layer, 6);
      INFO(layer.describe() << " input " << shape_string(c.input) << " mean " << (reduction == LossReduction::Mean));
      check_per_sample_gradients(layer, Tensor::uniform(c.input, -1, 1, 7), random_projection_loss(8),
                                 {reduction, 1e-4, 1e-5});
    }
  }
  // Without affine it has nothing to record, inside a model that has.
  Sequential net{std::make_shared<Linear>(3, 5, 1), std::make_shared<LayerNorm>(Shape{5}, 1e-5, false)};
  check_per_sample_gradients(net, Tensor::uniform({4, 3}, -1, 1, 9), random_projection_loss(10));
}

TEST_CASE("LayerNorm handles an empty batch", "[layers][layer_norm][per_sample]") {
  LayerNorm layer({2, 3});
  layer.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
  Tensor x = Tensor::zeros({0, 2, 3});
  x.set_requires_grad(true);
  Tensor out = layer(x);
  REQUIRE(out.shape() == Shape{0, 2, 3});
  sum(out).backward();
  REQUIRE(x.grad().shape() == x.shape());
  REQUIRE(layer.per_sample_batch_size() == 0);
  REQUIRE(layer.route_taken() == GradSampleMode::Materialize);
  for (const Tensor& n : layer.per_sample_sq_norms()) REQUIRE(n.shape() == Shape{0});
  REQUIRE(layer.grad_samples()[0].shape() == Shape{0, 2, 3});
  layer.accumulate_weighted_grads({Tensor::zeros({0}, DType::Float64), Tensor::zeros({0}, DType::Float64)});
  REQUIRE(max_abs_diff(layer.weight().grad(), Tensor::zeros({2, 3})) == 0.0);
  REQUIRE(max_abs_diff(layer.bias().grad(), Tensor::zeros({2, 3})) == 0.0);
}
