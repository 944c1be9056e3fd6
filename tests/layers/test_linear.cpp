#include <catch2/catch.hpp>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/linear.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("Linear forward matches x W^T + b", "[layers][linear]") {
  Linear layer(3, 2, 5);
  Tensor x = Tensor::uniform({4, 3}, -1, 1, 11);
  Tensor expected = add(matmul(x, layer.weight().transpose(0, 1)), layer.bias());
  REQUIRE(allclose(layer(x), expected, 1e-6, 1e-6));
  REQUIRE(layer(Tensor::uniform({2, 5, 3}, -1, 1, 12)).shape() == Shape{2, 5, 2});
  REQUIRE_THROWS_AS(layer(Tensor::zeros({4, 4})), Error);
}

TEST_CASE("Linear gradients match finite differences", "[layers][linear][gradcheck]") {
  for (bool bias : {true, false}) {
    for (Shape shape : {Shape{5, 3}, Shape{2, 4, 3}}) {
      Linear layer(3, 4, 7, bias);
      layer.to(DType::Float64);
      check_module_gradients(layer, Tensor::uniform(shape, -1, 1, 21, 0, DType::Float64), random_projection_loss(1));
    }
  }
}

TEST_CASE("Linear per-sample gradients", "[layers][linear][per_sample]") {
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (Shape shape : {Shape{6, 5}, Shape{3, 4, 5}, Shape{1, 5}, Shape{1, 2, 5}}) {
      for (bool bias : {true, false}) {
        Linear layer(5, 3, 9, bias);
        INFO("input " << shape_string(shape) << " bias " << bias << " mean " << (reduction == LossReduction::Mean));
        check_per_sample_gradients(layer, Tensor::uniform(shape, -1, 1, 31), random_projection_loss(2),
                                   {reduction, 1e-4, 1e-5});
      }
    }
  }
}

TEST_CASE("Linear handles an empty batch", "[layers][linear][per_sample]") {
  Linear layer(5, 3, 9);
  layer.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  Tensor out = layer(Tensor::zeros({0, 5}));
  REQUIRE(out.shape() == Shape{0, 3});
  sum(out).backward();
  REQUIRE(layer.per_sample_batch_size() == 0);
  for (const Tensor& n : layer.per_sample_sq_norms()) REQUIRE(n.numel() == 0);
  layer.accumulate_weighted_grads({Tensor::zeros({0}, DType::Float64), Tensor::zeros({0}, DType::Float64)});
  REQUIRE(max_abs_diff(layer.weight().grad(), Tensor::zeros({3, 5})) == 0.0);
}

// The bias of a sequence input is summed over its positions in one
// double-accumulating reduction, in the per-sample rule as in the ordinary
// backward: a single example's gradient and its per-sample gradient agree
// exactly, not only to rounding.
TEST_CASE("Linear's per-sample bias gradients of a sequence equal single-example gradients exactly",
          "[layers][linear][per_sample]") {
  const std::int64_t batch = 4, positions = 37;
  const Tensor x = Tensor::uniform({batch, positions, 5}, -1, 1, 41);
  const Tensor projection = Tensor::uniform({batch, positions, 3}, -1, 1, 42);
  Linear layer(5, 3, 9);
  layer.set_per_sample({GradSampleMode::Materialize, LossReduction::Sum});
  sum(mul(layer(x), projection)).backward();
  const Tensor bias_samples = layer.grad_samples()[1];
  const Tensor bias_sq_norms = layer.per_sample_sq_norms()[1];
  layer.clear_per_sample();

  Linear single(5, 3, 9);
  for (std::int64_t i = 0; i < batch; ++i) {
    single.zero_grad();
    sum(mul(single(x.slice(0, i, i + 1)), projection.slice(0, i, i + 1))).backward();
    const Tensor expected = single.bias().grad();
    REQUIRE(max_abs_diff(bias_samples.slice(0, i, i + 1).reshape({3}), expected) == 0.0);
    double sq_norm = 0.0;
    for (float v : expected.to_vector<float>()) sq_norm += static_cast<double>(v) * v;
    REQUIRE(bias_sq_norms.to_vector<double>()[i] == sq_norm);
  }
}
