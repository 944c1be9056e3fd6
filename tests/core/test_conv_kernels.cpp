// The convolution dispatch point (core/conv_kernels.h): the im2row route
// against a direct loop over the definition, its backward-data as the adjoint,
// and the choice of route from VEIL_CUDA_CONV.
#include <catch2/catch.hpp>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/conv_kernels.h"
#include "veil/core/im2row.h"

using namespace veil;
using namespace veil::testing;

namespace {

// y[b, o, i, j] = sum over c in o's group, ki, kj of x[b, c, i s - p + ki d, j s - p + kj d] w[o, c', ki, kj].
Tensor direct_conv(const Tensor& x, const Tensor& w, const Conv2dGeometry& g, std::int64_t groups) {
  const std::int64_t batch = x.size(0), c_in = x.size(1), h = x.size(2), wd = x.size(3), c_out = w.size(0);
  const std::int64_t per_in = c_in / groups, per_out = c_out / groups, oh = g.out_h(h), ow = g.out_w(wd);
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> y(static_cast<std::size_t>(batch * c_out * oh * ow), 0.0);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t o = 0; o < c_out; ++o)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          double total = 0.0;
          for (std::int64_t c = 0; c < per_in; ++c)
            for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
              for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
                const std::int64_t iy = i * g.stride_h - g.pad_h + ki * g.dilation_h;
                const std::int64_t ix = j * g.stride_w - g.pad_w + kj * g.dilation_w;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const std::int64_t channel = o / per_out * per_in + c;
                total += xv[((b * c_in + channel) * h + iy) * wd + ix] *
                         wv[((o * per_in + c) * g.kernel_h + ki) * g.kernel_w + kj];
              }
          y[((b * c_out + o) * oh + i) * ow + j] = total;
        }
  return Tensor::from_vector(y, {batch, c_out, oh, ow});
}

}  // namespace

TEST_CASE("the im2row convolution route computes the definition, and backward-data its adjoint", "[conv]") {
  struct Case {
    Conv2dGeometry g;
    std::int64_t groups;
  };
  for (const Case& k : {Case{{3, 3, 1, 1, 1, 1, 1, 1}, 1}, Case{{2, 3, 2, 1, 0, 2, 1, 2}, 2},
                        Case{{8, 8, 2, 2, 3, 3, 1, 1}, 1}, Case{{1, 1, 1, 1, 0, 0, 1, 1}, 4}}) {
    const Tensor x = rand({2, 4, 9, 10}, 1);
    const Tensor w = rand({8, 4 / k.groups, k.g.kernel_h, k.g.kernel_w}, 2);
    const Tensor rows = im2row_kernel(x, k.g);
    const Tensor y = conv2d_forward_kernel(x, rows, w, k.g, k.groups);
    require_same(y, direct_conv(x, w, k.g, k.groups), 1e-12);
    // <conv(x), dy> = <x, backward_data(dy)>.
    const Tensor dy = rand(y.shape(), 3);
    const Tensor dy_rows = transpose_samples_kernel(dy.reshape({y.size(0), y.size(1), y.size(2) * y.size(3)}));
    const Tensor dx = conv2d_backward_data_kernel(dy, dy_rows, w, k.g, k.groups, x.shape());
    REQUIRE(dx.shape() == x.shape());
    REQUIRE(sum(mul(y, dy)).item() == Approx(sum(mul(x, dx)).item()).epsilon(1e-12));
  }
  // An empty batch (a Poisson step may draw none) gives empty results.
  const Conv2dGeometry g{3, 3, 1, 1, 1, 1, 1, 1};
  const Tensor none = Tensor::zeros({0, 2, 5, 5}, DType::Float64);
  const Tensor w = rand({3, 2, 3, 3}, 4);
  const Tensor y = conv2d_forward_kernel(none, im2row_kernel(none, g), w, g, 1);
  REQUIRE(y.shape() == Shape{0, 3, 5, 5});
  REQUIRE(conv2d_backward_data_kernel(y, Tensor::zeros({0, 25, 3}, DType::Float64), w, g, 1, none.shape()).shape() ==
          none.shape());
  REQUIRE_THROWS_WITH(conv2d_forward_kernel(rand({1, 2, 5, 5}, 5), Tensor::zeros({1, 4, 18}, DType::Float64), w, g, 1),
                      Catch::Contains("are not the im2row of images"));
}

TEST_CASE("VEIL_CUDA_CONV names the GPU convolution route; the CPU has im2row only", "[conv]") {
  REQUIRE(parse_conv_route(nullptr) == ConvRoute::Im2row);
  REQUIRE(parse_conv_route("") == ConvRoute::Im2row);
  REQUIRE(parse_conv_route("im2row") == ConvRoute::Im2row);
  REQUIRE(parse_conv_route("cudnn") == ConvRoute::Cudnn);
  REQUIRE_THROWS_WITH(parse_conv_route("cuDNN8"),
                      Catch::Contains("VEIL_CUDA_CONV=cuDNN8: the GPU convolution route must be im2row or cudnn"));
  REQUIRE(&conv_kernels(Device::cpu()) == &conv_kernels(Device::cpu(), ConvRoute::Im2row));
  REQUIRE_THROWS_WITH(conv_kernels(Device::cpu(), ConvRoute::Cudnn), Catch::Contains("runs on a GPU"));
}
