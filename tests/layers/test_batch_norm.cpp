#include <catch2/catch.hpp>
#include <cmath>
#include <type_traits>

#include "support/module_gradcheck.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/batch_norm.h"
#include "veil/core/normalization_kernels.h"

using namespace veil;
using namespace veil::testing;

namespace {

void randomize_affine(BatchNorm2d& layer, std::uint64_t seed) {
  Tensor(layer.weight()).copy_(Tensor::uniform(layer.weight().shape(), 0.5, 1.5, seed, 0));
  Tensor(layer.bias()).copy_(Tensor::uniform(layer.bias().shape(), -0.5, 0.5, seed, 1));
}

struct ChannelStats {
  std::vector<double> mean, var;  // biased variance
};

ChannelStats channel_stats(const Tensor& x) {
  const auto in = x.to_vector<double>();
  const std::int64_t b = x.size(0), c = x.size(1), s = x.size(2) * x.size(3);
  ChannelStats st{std::vector<double>(c), std::vector<double>(c)};
  for (std::int64_t ch = 0; ch < c; ++ch) {
    for (std::int64_t n = 0; n < b; ++n)
      for (std::int64_t k = 0; k < s; ++k) st.mean[ch] += in[(n * c + ch) * s + k] / (b * s);
    for (std::int64_t n = 0; n < b; ++n)
      for (std::int64_t k = 0; k < s; ++k) st.var[ch] += std::pow(in[(n * c + ch) * s + k] - st.mean[ch], 2) / (b * s);
  }
  return st;
}

// (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c by direct loops.
Tensor naive_batch_norm(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& var,
                        const Tensor& gamma, const Tensor& beta, double eps) {
  const auto in = x.to_vector<double>();
  const auto g = gamma.to_vector<double>(), bt = beta.to_vector<double>();
  const std::int64_t c = x.size(1), s = x.size(2) * x.size(3);
  std::vector<double> out(in.size());
  for (std::size_t j = 0; j < in.size(); ++j) {
    const std::int64_t ch = (static_cast<std::int64_t>(j) / s) % c;
    out[j] = (in[j] - mean[ch]) / std::sqrt(var[ch] + eps) * g[ch] + bt[ch];
  }
  return Tensor::from_vector<double>(out, x.shape());
}

}  // namespace

TEST_CASE("BatchNorm2d normalises with batch statistics in training", "[layers][batch_norm]") {
  BatchNorm2d layer(3);
  layer.to(DType::Float64);
  randomize_affine(layer, 1);
  const Tensor x = Tensor::uniform({4, 3, 2, 5}, -1, 3, 2, 0, DType::Float64);
  const ChannelStats st = channel_stats(x);
  REQUIRE(allclose(layer(x), naive_batch_norm(x, st.mean, st.var, layer.weight(), layer.bias(), 1e-5), 1e-10, 1e-10));
  // One step of momentum 0.1 from (0, 1), the variance unbiased over 40 values.
  const auto rm = layer.running_mean().to_vector<double>(), rv = layer.running_var().to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    REQUIRE(rm[c] == Approx(0.1 * st.mean[c]));
    REQUIRE(rv[c] == Approx(0.9 + 0.1 * st.var[c] * 40.0 / 39.0));
  }
  REQUIRE(layer.state_dict().count("running_mean") == 1);
  REQUIRE(layer.state_dict().count("running_var") == 1);
  REQUIRE_THROWS_WITH(layer(Tensor::zeros({1, 3, 1, 1}, DType::Float64)), Catch::Contains("more than one value"));
  REQUIRE_THROWS_AS(layer(Tensor::zeros({4, 2, 2, 2}, DType::Float64)), Error);
}

TEST_CASE("BatchNorm2d uses the running statistics in eval mode", "[layers][batch_norm]") {
  BatchNorm2d layer(2, 1e-3);
  layer.to(DType::Float64);
  randomize_affine(layer, 3);
  Tensor(layer.running_mean()).copy_(Tensor::from_vector<double>({0.5, -1.0}, {2}));
  Tensor(layer.running_var()).copy_(Tensor::from_vector<double>({2.0, 0.25}, {2}));
  layer.eval();
  const Tensor x = Tensor::uniform({3, 2, 2, 2}, -1, 1, 4, 0, DType::Float64);
  REQUIRE(allclose(layer(x), naive_batch_norm(x, {0.5, -1.0}, {2.0, 0.25}, layer.weight(), layer.bias(), 1e-3), 1e-10,
                   1e-10));
  // Eval leaves the statistics alone and accepts a single example.
  REQUIRE(layer.running_mean().to_vector<double>() == std::vector<double>{0.5, -1.0});
  REQUIRE(layer(Tensor::zeros({1, 2, 1, 1}, DType::Float64)).shape() == Shape{1, 2, 1, 1});
}

TEST_CASE("BatchNorm2d gradients match finite differences", "[layers][batch_norm][gradcheck]") {
  const Tensor x = Tensor::uniform({3, 2, 2, 3}, -1, 1, 5, 0, DType::Float64);
  for (bool training : {true, false}) {
    for (bool affine : {true, false}) {
      BatchNorm2d layer(2, 1e-5, 0.1, affine);
      layer.to(DType::Float64);
      if (affine) randomize_affine(layer, 6);
      Tensor(layer.running_var()).copy_(Tensor::from_vector<double>({0.7, 1.8}, {2}));
      layer.train(training);
      INFO(layer.describe() << " training " << training);
      check_module_gradients(layer, x, random_projection_loss(7));
    }
  }
}

TEST_CASE("BatchNorm2d mixes examples and has no per-sample rule", "[layers][batch_norm]") {
  BatchNorm2d layer(2);
  static_assert(!std::is_base_of_v<PerSampleLayer, BatchNorm2d>);
  REQUIRE(layer.per_sample_layers().empty());
  // Changing example 1 changes example 0's output: the reason DP refuses it.
  Tensor x = Tensor::uniform({2, 2, 3, 3}, -1, 1, 8);
  const Tensor before = layer(x).slice(0, 0, 1).contiguous();
  Tensor(x.slice(0, 1, 2)).add_(Tensor::ones({1, 2, 3, 3}));
  Tensor(x.slice(0, 1, 2)).mul_(3.0);
  const Tensor after = layer(x).slice(0, 0, 1).contiguous();
  REQUIRE(max_abs_diff(before, after) > 1e-3);
}

TEST_CASE("BatchNorm2d's running-statistics kernels follow their formulas", "[layers][batch_norm]") {
  const Tensor x_rows = Tensor::uniform({3, 10}, -2.0, 2.0, 9, 0, DType::Float64);
  const normalization::RowStats stats = normalization::normalize_rows(x_rows, 3, 1e-5);
  Tensor running_mean = Tensor::from_vector<double>({0.5, -1.0, 2.0}, {3});
  Tensor running_var = Tensor::from_vector<double>({1.0, 2.0, 0.25}, {3});
  normalization::update_running_stats(stats, 10, 0.1, running_mean, running_var);
  const auto mean = stats.mean.to_vector<double>(), var = stats.var.to_vector<double>();
  const auto rm = running_mean.to_vector<double>(), rv = running_var.to_vector<double>();
  const std::vector<double> old_mean{0.5, -1.0, 2.0}, old_var{1.0, 2.0, 0.25};
  for (int c = 0; c < 3; ++c) {
    CHECK(rm[c] == Approx(0.9 * old_mean[c] + 0.1 * mean[c]).epsilon(1e-15));
    CHECK(rv[c] == Approx(0.9 * old_var[c] + 0.1 * var[c] * 10.0 / 9.0).epsilon(1e-15));
  }
  const normalization::ChannelAffine fixed = normalization::running_stats_affine(running_mean, running_var, 1e-5);
  const auto scale = fixed.scale.to_vector<double>(), shift = fixed.shift.to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    CHECK(scale[c] == Approx(1.0 / std::sqrt(rv[c] + 1e-5)).epsilon(1e-15));
    CHECK(shift[c] == Approx(-rm[c] * scale[c]).epsilon(1e-15));
  }
}
