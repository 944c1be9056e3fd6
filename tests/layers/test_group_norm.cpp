#include <catch2/catch.hpp>
#include <cmath>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/layer_norm.h"

using namespace veil;
using namespace veil::testing;

namespace {

void randomize_affine(GroupNorm& layer, std::uint64_t seed) {
  Tensor(layer.weight()).copy_(Tensor::uniform(layer.weight().shape(), 0.5, 1.5, seed, 0));
  Tensor(layer.bias()).copy_(Tensor::uniform(layer.bias().shape(), -0.5, 0.5, seed, 1));
}

// Direct loops over [B, C, S]: statistics per (example, group), then the
// per-channel affine.
Tensor naive_group_norm(const Tensor& x, std::int64_t groups, const Tensor& gamma, const Tensor& beta, double eps) {
  const auto in = x.to_vector<double>();
  const auto g = gamma.to_vector<double>(), b = beta.to_vector<double>();
  const std::int64_t batch = x.size(0), channels = x.size(1);
  const std::int64_t spatial = batch == 0 ? 0 : x.numel() / (batch * channels);
  const std::int64_t per_group = channels / groups;
  std::vector<double> out(in.size());
  auto at = [&](std::int64_t n, std::int64_t c, std::int64_t s) { return (n * channels + c) * spatial + s; };
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t grp = 0; grp < groups; ++grp) {
      double mean = 0, var = 0;
      const double count = static_cast<double>(per_group * spatial);
      for (std::int64_t c = grp * per_group; c < (grp + 1) * per_group; ++c)
        for (std::int64_t s = 0; s < spatial; ++s) mean += in[at(n, c, s)] / count;
      for (std::int64_t c = grp * per_group; c < (grp + 1) * per_group; ++c)
        for (std::int64_t s = 0; s < spatial; ++s) var += std::pow(in[at(n, c, s)] - mean, 2) / count;
      for (std::int64_t c = grp * per_group; c < (grp + 1) * per_group; ++c)
        for (std::int64_t s = 0; s < spatial; ++s)
          out[at(n, c, s)] = (in[at(n, c, s)] - mean) / std::sqrt(var + eps) * g[c] + b[c];
    }
  return Tensor::from_vector<double>(out, x.shape());
}

}  // namespace

TEST_CASE("GroupNorm matches the formula for several group counts", "[layers][group_norm]") {
  for (const Shape& shape : {Shape{3, 6, 2, 3}, Shape{2, 6}, Shape{2, 6, 5}}) {
    const Tensor x = Tensor::uniform(shape, -2, 3, 1, 0, DType::Float64);
    for (std::int64_t groups : {1, 2, 3, 6}) {
      GroupNorm layer(groups, 6);
      layer.to(DType::Float64);
      randomize_affine(layer, 2);
      INFO(layer.describe() << " input " << shape_string(shape));
      REQUIRE(allclose(layer(x), naive_group_norm(x, groups, layer.weight(), layer.bias(), 1e-5), 1e-10, 1e-10));
    }
  }
  // One group over [C, H, W] is LayerNorm over those dimensions.
  const Tensor x = Tensor::uniform({2, 4, 3, 3}, -1, 1, 3);
  GroupNorm one_group(1, 4);
  LayerNorm layer_norm({4, 3, 3});
  REQUIRE(max_abs_diff(one_group(x), layer_norm(x)) < 1e-5);
  REQUIRE_THROWS_AS(GroupNorm(4, 6), Error);
  REQUIRE_THROWS_AS(one_group(Tensor::zeros({2, 3, 3, 3})), Error);
  REQUIRE_THROWS_AS(one_group(Tensor::zeros({4})), Error);
  REQUIRE(GroupNorm(2, 4, 1e-5, false).parameters().empty());
}

TEST_CASE("GroupNorm gradients match finite differences", "[layers][group_norm][gradcheck]") {
  const Tensor x = Tensor::uniform({2, 4, 2, 3}, -1, 1, 4, 0, DType::Float64);
  for (std::int64_t groups : {1, 2, 4}) {
    for (bool affine : {true, false}) {
      GroupNorm layer(groups, 4, 1e-5, affine);
      layer.to(DType::Float64);
      if (affine) randomize_affine(layer, 5);
      INFO(layer.describe());
      check_module_gradients(layer, x, random_projection_loss(6));
    }
  }
  GroupNorm no_spatial(2, 4);
  no_spatial.to(DType::Float64);
  randomize_affine(no_spatial, 7);
  check_module_gradients(no_spatial, Tensor::uniform({3, 4}, -1, 1, 8, 0, DType::Float64), random_projection_loss(9));
}

TEST_CASE("GroupNorm per-sample gradients", "[layers][group_norm][per_sample]") {
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (const Shape& shape : {Shape{4, 6, 3, 2}, Shape{1, 6, 2, 2}, Shape{3, 6}}) {
      for (std::int64_t groups : {1, 3, 6}) {
        GroupNorm layer(groups, 6);
        randomize_affine(layer, 10);
        INFO(layer.describe() << " input " << shape_string(shape) << " mean " << (reduction == LossReduction::Mean));
        check_per_sample_gradients(layer, Tensor::uniform(shape, -1, 1, 11), random_projection_loss(12),
                                   {reduction, 1e-4, 1e-5});
      }
    }
  }
}

TEST_CASE("GroupNorm handles an empty batch", "[layers][group_norm][per_sample]") {
  GroupNorm layer(2, 4);
  layer.set_per_sample({GradSampleMode::Ghost, LossReduction::Sum});
  Tensor x = Tensor::zeros({0, 4, 3, 3});
  x.set_requires_grad(true);
  Tensor out = layer(x);
  REQUIRE(out.shape() == x.shape());
  sum(out).backward();
  REQUIRE(x.grad().shape() == x.shape());
  REQUIRE(layer.per_sample_batch_size() == 0);
  for (const Tensor& n : layer.per_sample_sq_norms()) REQUIRE(n.shape() == Shape{0});
  layer.accumulate_weighted_grads({Tensor::zeros({0}, DType::Float64), Tensor::zeros({0}, DType::Float64)});
  REQUIRE(max_abs_diff(layer.weight().grad(), Tensor::zeros({4})) == 0.0);
}
