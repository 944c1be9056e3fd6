#include <catch2/catch.hpp>
#include <algorithm>
#include <limits>

#include "support/module_gradcheck.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/core/pool_kernels.h"
#include "veil/layers/flatten.h"
#include "veil/layers/pooling.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Direct loops over [B, C, H, W]: the max over in-image taps, or the sum of
// in-image taps divided by kernel^2 (padding counts as zeros).
Tensor naive_pool(const Tensor& x, std::int64_t kernel, std::int64_t stride, std::int64_t pad, bool max) {
  const auto in = x.to_vector<double>();
  const std::int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const std::int64_t oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
  std::vector<double> out;
  for (std::int64_t p = 0; p < b * c; ++p)
    for (std::int64_t y = 0; y < oh; ++y)
      for (std::int64_t xo = 0; xo < ow; ++xo) {
        double acc = max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (std::int64_t ki = 0; ki < kernel; ++ki)
          for (std::int64_t kj = 0; kj < kernel; ++kj) {
            const std::int64_t iy = y * stride - pad + ki, ix = xo * stride - pad + kj;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double v = in[(p * h + iy) * w + ix];
            acc = max ? std::max(acc, v) : acc + v;
          }
        out.push_back(max ? acc : acc / static_cast<double>(kernel * kernel));
      }
  return Tensor::from_vector<double>(out, {b, c, oh, ow});
}

}  // namespace

TEST_CASE("Flatten merges the requested dimensions", "[layers][flatten]") {
  const Tensor x = Tensor::uniform({2, 3, 4, 5}, -1, 1, 1);
  Flatten flatten;
  const Tensor y = flatten(x);
  REQUIRE(y.shape() == Shape{2, 60});
  REQUIRE(y.to_vector<float>() == x.to_vector<float>());
  REQUIRE(Flatten(0)(x).shape() == Shape{120});
  REQUIRE(Flatten(1, 2)(x).shape() == Shape{2, 12, 5});
  REQUIRE(Flatten(-2)(x).shape() == Shape{2, 3, 20});
  // A non-contiguous input flattens in logical order.
  const Tensor t = x.transpose(2, 3);
  REQUIRE(flatten(t).to_vector<float>() == t.contiguous().to_vector<float>());
  REQUIRE_THROWS_AS(Flatten(4)(x), Error);
  REQUIRE_THROWS_AS(flatten(Tensor::scalar(1.0)), Error);
  REQUIRE(flatten.describe() == "Flatten(start_dim=1, end_dim=-1)");
}

TEST_CASE("Flatten gradients and empty batches", "[layers][flatten][gradcheck]") {
  Flatten flatten;
  check_module_gradients(flatten, Tensor::uniform({2, 3, 2, 2}, -1, 1, 2, 0, DType::Float64),
                         random_projection_loss(3));
  Tensor x = Tensor::zeros({0, 3, 2, 2});
  x.set_requires_grad(true);
  Tensor y = flatten(x);
  REQUIRE(y.shape() == Shape{0, 12});
  sum(y).backward();
  REQUIRE(x.grad().shape() == x.shape());
}

TEST_CASE("MaxPool2d and AvgPool2d match direct loops", "[layers][pooling]") {
  const Tensor x = Tensor::uniform({2, 3, 7, 6}, -1, 1, 4, 0, DType::Float64);
  struct Case {
    std::int64_t kernel;
    std::optional<std::int64_t> stride;
    std::int64_t pad;
  };
  for (const Case& c : {Case{2, std::nullopt, 0}, Case{3, 2, 1}, Case{3, 1, 0}, Case{2, 1, 1}}) {
    const std::int64_t stride = c.stride.value_or(c.kernel);
    INFO("kernel " << c.kernel << " stride " << stride << " padding " << c.pad);
    MaxPool2d max_pool(c.kernel, c.stride, c.pad);
    AvgPool2d avg_pool(c.kernel, c.stride, c.pad);
    REQUIRE(allclose(max_pool(x), naive_pool(x, c.kernel, stride, c.pad, true), 0, 1e-12));
    REQUIRE(allclose(avg_pool(x), naive_pool(x, c.kernel, stride, c.pad, false), 0, 1e-12));
  }
  REQUIRE(MaxPool2d(2).describe() == "MaxPool2d(kernel=2, stride=2, padding=0)");
  REQUIRE(AvgPool2d(3, 1, 1).describe() == "AvgPool2d(kernel=3, stride=1, padding=1)");
  REQUIRE_THROWS_AS(MaxPool2d(2)(Tensor::zeros({3, 4, 4})), Error);
  REQUIRE_THROWS_AS(MaxPool2d(2, 1, 2), Error);  // padding above half the kernel
  REQUIRE_THROWS_AS(AvgPool2d(0), Error);
}

TEST_CASE("pooling gradients match finite differences", "[layers][pooling][gradcheck]") {
  // Random inputs have no ties, so the max is differentiable.
  const Tensor x = Tensor::uniform({2, 2, 5, 5}, -1, 1, 6, 0, DType::Float64);
  MaxPool2d max_pool(3, 2, 1);
  AvgPool2d avg_pool(3, 2, 1);
  MaxPool2d max_overlap(2, 1);
  check_module_gradients(max_pool, x, random_projection_loss(7));
  check_module_gradients(avg_pool, x, random_projection_loss(7));
  check_module_gradients(max_overlap, x, random_projection_loss(8));
}

TEST_CASE("pooling passes an empty batch through", "[layers][pooling]") {
  for (auto pool : std::initializer_list<std::shared_ptr<Module>>{std::make_shared<MaxPool2d>(2),
                                                                  std::make_shared<AvgPool2d>(2)}) {
    Tensor x = Tensor::zeros({0, 3, 4, 4});
    x.set_requires_grad(true);
    Tensor y = (*pool)(x);
    REQUIRE(y.shape() == Shape{0, 3, 2, 2});
    sum(y).backward();
    REQUIRE(x.grad().shape() == x.shape());
  }
}

TEST_CASE("the max-pooling kernel keeps argmax indices for padded windows only", "[layers][pooling]") {
  const Tensor x = Tensor::uniform({2, 3, 7, 6}, -1.0, 1.0, 5, 0, DType::Float64);
  Conv2dGeometry unpadded;
  unpadded.kernel_h = unpadded.kernel_w = unpadded.stride_h = unpadded.stride_w = 2;
  CHECK_FALSE(max_pool2d_kernel(x, unpadded).indices.defined());
  Conv2dGeometry padded = unpadded;
  padded.kernel_h = padded.kernel_w = 3;
  padded.pad_h = padded.pad_w = 1;
  const MaxPoolForward forward = max_pool2d_kernel(x, padded);
  REQUIRE(forward.indices.defined());
  REQUIRE(forward.indices.shape() == forward.values.shape());
  // Each index points at its window's maximum within the plane.
  const auto in = x.to_vector<double>(), out = forward.values.to_vector<double>();
  const auto idx = forward.indices.to_vector<std::int64_t>();
  const std::int64_t per_plane = forward.values.size(2) * forward.values.size(3);
  for (std::size_t o = 0; o < out.size(); ++o) {
    REQUIRE(idx[o] >= 0);
    CHECK(in[(static_cast<std::int64_t>(o) / per_plane) * 7 * 6 + idx[o]] == out[o]);
  }
}
