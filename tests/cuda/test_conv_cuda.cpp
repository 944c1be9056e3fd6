// Both GPU convolution routes (core/conv_kernels.h) against the CPU's:
// forward and backward-data for padded, strided, dilated and grouped
// windows, in float64 to rounding and float32 to float tolerance (neither
// route may use TF32), and the empty batch of a Poisson step.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/conv_kernels.h"
#include "veil/core/im2row.h"

using namespace veil;
using namespace veil::testing;

namespace {

struct Case {
  Conv2dGeometry g;
  std::int64_t groups;
};

std::vector<Case> cases() {
  return {{{3, 3, 1, 1, 1, 1, 1, 1}, 1}, {{8, 8, 2, 2, 3, 3, 1, 1}, 1}, {{4, 4, 2, 2, 0, 0, 1, 1}, 2},
          {{3, 2, 2, 1, 2, 1, 2, 3}, 1}, {{1, 1, 1, 1, 0, 0, 1, 1}, 4}};
}

Tensor forward(const Tensor& x, const Tensor& w, const Case& k, ConvRoute route) {
  Tensor out = Tensor::empty({x.size(0), w.size(0), k.g.out_h(x.size(2)), k.g.out_w(x.size(3))}, x.dtype(), x.device());
  conv_kernels(x.device(), route).forward(x, im2row_kernel(x, k.g), w, k.g, k.groups, out);
  return out;
}

Tensor backward_data(const Tensor& dy, const Tensor& w, const Case& k, const Shape& x_shape, ConvRoute route) {
  Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
  const Tensor dy_rows = transpose_samples_kernel(
      dy.contiguous().reshape({dy.size(0), dy.size(1), dy.size(2) * dy.size(3)}));
  conv_kernels(dy.device(), route).backward_data(dy, dy_rows, w, k.g, k.groups, dx);
  return dx;
}

void check_route(ConvRoute route) {
  const Device g = gpu();
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const double tol = dtype == DType::Float64 ? 1e-12 : 1e-4;
    for (const Case& k : cases()) {
      INFO("kernel " << k.g.kernel_h << "x" << k.g.kernel_w << " stride " << k.g.stride_h << " pad " << k.g.pad_h
                     << " dilation " << k.g.dilation_h << " groups " << k.groups << " " << dtype);
      const Tensor x = rand({3, 4, 12, 11}, 1, dtype);
      const Tensor w = rand({8, 4 / k.groups, k.g.kernel_h, k.g.kernel_w}, 2, dtype);
      const Tensor y = forward(x, w, k, ConvRoute::Im2row);
      require_agrees(forward(x.to(g), w.to(g), k, route), y, tol, tol);
      const Tensor dy = rand(y.shape(), 3, dtype);
      require_agrees(backward_data(dy.to(g), w.to(g), k, x.shape(), route),
                     backward_data(dy, w, k, x.shape(), ConvRoute::Im2row), tol, tol);
    }
    // A Poisson step may draw no example.
    const Case k{{3, 3, 1, 1, 1, 1, 1, 1}, 1};
    const Tensor none = Tensor::zeros({0, 4, 6, 6}, dtype, g);
    const Tensor w = rand({2, 4, 3, 3}, 4, dtype).to(g);
    REQUIRE(forward(none, w, k, route).shape() == Shape{0, 2, 6, 6});
    REQUIRE(backward_data(Tensor::zeros({0, 2, 6, 6}, dtype, g), w, k, none.shape(), route).shape() == none.shape());
  }
}

}  // namespace

TEST_CASE("the im2row route on the GPU agrees with the CPU", "[cuda][conv]") { check_route(ConvRoute::Im2row); }

TEST_CASE("the cuDNN route agrees with the CPU", "[cuda][conv]") { check_route(ConvRoute::Cudnn); }
