#include <catch2/catch.hpp>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/compare.h"
#include "veil/layers/conv1d.h"

using namespace veil;
using namespace veil::testing;

namespace {

struct Conv1dConfig {
  std::int64_t kernel, stride, padding, dilation, groups;
  bool bias;
};

const std::vector<Conv1dConfig> kConfigs = {
    {3, 1, 1, 1, 1, true},
    {3, 2, 0, 1, 1, true},
    {2, 1, 2, 3, 1, false},
    {3, 1, 1, 1, 2, true},
};

std::shared_ptr<Conv1d> make_conv(std::int64_t in, std::int64_t out, const Conv1dConfig& c, std::uint64_t seed) {
  return std::make_shared<Conv1d>(in, out, c.kernel, seed, c.stride, c.padding, c.dilation, c.groups, c.bias);
}

// Direct 1-D convolution by definition.
Tensor naive_conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv1dConfig& c) {
  const auto xs = x.to_vector<double>();
  const auto ws = w.to_vector<double>();
  const std::int64_t B = x.size(0), C = x.size(1), T = x.size(2), O = w.size(0), Cg = w.size(1);
  const std::int64_t Og = O / c.groups, L = (T + 2 * c.padding - c.dilation * (c.kernel - 1) - 1) / c.stride + 1;
  std::vector<double> out(B * O * L, 0.0);
  for (std::int64_t n = 0; n < B; ++n)
    for (std::int64_t oc = 0; oc < O; ++oc)
      for (std::int64_t p = 0; p < L; ++p) {
        double acc = b.defined() ? b.to_vector<double>()[oc] : 0.0;
        const std::int64_t grp = oc / Og;
        for (std::int64_t ci = 0; ci < Cg; ++ci)
          for (std::int64_t k = 0; k < c.kernel; ++k) {
            const std::int64_t t = p * c.stride - c.padding + k * c.dilation;
            if (t < 0 || t >= T) continue;
            acc += ws[(oc * Cg + ci) * c.kernel + k] * xs[(n * C + grp * Cg + ci) * T + t];
          }
        out[(n * O + oc) * L + p] = acc;
      }
  return Tensor::from_vector(out, {B, O, L});
}

}  // namespace

TEST_CASE("Conv1d forward matches the definition", "[layers][conv1d]") {
  for (const auto& c : kConfigs) {
    const auto conv = make_conv(4, 6, c, 3);
    REQUIRE(conv->weight().shape() == Shape{6, 4 / c.groups, c.kernel});
    Tensor x = Tensor::uniform({2, 4, 9}, -1, 1, 5);
    REQUIRE(allclose((*conv)(x), naive_conv1d(x, conv->weight(), conv->bias(), c), 1e-4, 1e-5));
  }
  Conv1d conv(4, 6, 3, 1);
  REQUIRE_THROWS_AS(conv(Tensor::zeros({2, 4, 7, 7})), Error);
  REQUIRE_THROWS_AS(conv(Tensor::zeros({2, 3, 7})), Error);
}

TEST_CASE("Conv1d gradients match finite differences", "[layers][conv1d][gradcheck]") {
  for (const auto& c : kConfigs) {
    const auto conv = make_conv(2 * c.groups, 2 * c.groups, c, 7);
    conv->to(DType::Float64);
    check_module_gradients(*conv, Tensor::uniform({2, 2 * c.groups, 8}, -1, 1, 9, 0, DType::Float64),
                           random_projection_loss(3));
  }
}

TEST_CASE("Conv1d per-sample gradients", "[layers][conv1d][per_sample]") {
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (const auto& c : kConfigs) {
      for (std::int64_t batch : {1, 3}) {
        const auto conv = make_conv(4, 6, c, 11);
        check_per_sample_gradients(*conv, Tensor::uniform({batch, 4, 10}, -1, 1, 13), random_projection_loss(4),
                                   {reduction, 1e-4, 1e-5});
      }
    }
  }
}
