#include <catch2/catch.hpp>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/conv2d.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Direct convolution by definition, for the forward check.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  const auto xs = x.to_vector<double>();
  const auto ws = w.to_vector<double>();
  const std::int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t O = w.size(0), Cg = w.size(1), G = o.groups, Og = O / G;
  Conv2dGeometry geo{o.kernel_h, o.kernel_w, o.stride_h, o.stride_w, o.padding_h, o.padding_w, o.dilation_h, o.dilation_w};
  const std::int64_t OH = geo.out_h(H), OW = geo.out_w(W);
  std::vector<double> out(B * O * OH * OW, 0.0);
  for (std::int64_t n = 0; n < B; ++n)
    for (std::int64_t oc = 0; oc < O; ++oc)
      for (std::int64_t y = 0; y < OH; ++y)
        for (std::int64_t xo = 0; xo < OW; ++xo) {
          double acc = b.defined() ? b.to_vector<double>()[oc] : 0.0;
          const std::int64_t grp = oc / Og;
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t ki = 0; ki < o.kernel_h; ++ki)
              for (std::int64_t kj = 0; kj < o.kernel_w; ++kj) {
                const std::int64_t iy = y * o.stride_h - o.padding_h + ki * o.dilation_h;
                const std::int64_t ix = xo * o.stride_w - o.padding_w + kj * o.dilation_w;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += ws[((oc * Cg + c) * o.kernel_h + ki) * o.kernel_w + kj] *
                       xs[((n * C + grp * Cg + c) * H + iy) * W + ix];
              }
          out[((n * O + oc) * OH + y) * OW + xo] = acc;
        }
  return Tensor::from_vector(out, {B, O, OH, OW});
}

const std::vector<Conv2dOptions> kConfigs = {
    Conv2dOptions::square(3),
    Conv2dOptions::square(3, 2, 1),
    Conv2dOptions::square(2, 1, 0, 2),
    Conv2dOptions::square(3, 1, 1, 1, 2),
    {2, 3, 1, 2, 1, 0, 1, 1, 1, false},
};

}  // namespace

TEST_CASE("Conv2d forward matches the definition", "[layers][conv2d]") {
  for (const auto& o : kConfigs) {
    Conv2d conv(4, 6, o, 3);
    Tensor x = Tensor::uniform({2, 4, 7, 6}, -1, 1, 5);
    REQUIRE(allclose(conv(x), naive_conv2d(x, conv.weight(), conv.bias(), o), 1e-4, 1e-5));
  }
  Conv2d conv(4, 6, 3, 1);
  REQUIRE_THROWS_AS(conv(Tensor::zeros({2, 3, 7, 7})), Error);
  REQUIRE_THROWS_AS(Conv2d(4, 6, Conv2dOptions::square(3, 1, 0, 1, 3), 1), Error);
}

TEST_CASE("Conv2d gradients match finite differences", "[layers][conv2d][gradcheck]") {
  for (const auto& o : kConfigs) {
    Conv2d conv(2 * o.groups, 2 * o.groups, o, 7);
    conv.to(DType::Float64);
    check_module_gradients(conv, Tensor::uniform({2, 2 * o.groups, 5, 5}, -1, 1, 9, 0, DType::Float64),
                           random_projection_loss(3));
  }
}

TEST_CASE("Conv2d per-sample gradients", "[layers][conv2d][per_sample]") {
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (const auto& o : kConfigs) {
      for (std::int64_t batch : {1, 3}) {
        Conv2d conv(4, 6, o, 11);
        check_per_sample_gradients(conv, Tensor::uniform({batch, 4, 7, 6}, -1, 1, 13), random_projection_loss(4),
                                   {reduction, 1e-4, 1e-5});
      }
    }
  }
}

TEST_CASE("Conv2d handles an empty batch", "[layers][conv2d][per_sample]") {
  Conv2d conv(2, 3, 3, 1);
  conv.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
  Tensor out = conv(Tensor::zeros({0, 2, 5, 5}));
  REQUIRE(out.shape() == Shape{0, 3, 3, 3});
  sum(out).backward();
  for (const Tensor& n : conv.per_sample_sq_norms()) REQUIRE(n.numel() == 0);
}
