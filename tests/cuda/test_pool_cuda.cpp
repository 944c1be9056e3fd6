// CUDA max and average pooling, forward and backward, against the CPU's
// (whose unpadded and stride-1 paths differ from its general one).
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/pool_kernels.h"

using namespace veil;
using namespace veil::testing;

namespace {

std::vector<Conv2dGeometry> geometries() {
  return {Conv2dGeometry{2, 2, 2, 2, 0, 0, 1, 1}, Conv2dGeometry{3, 3, 1, 1, 0, 0, 1, 1},
          Conv2dGeometry{3, 3, 2, 2, 1, 1, 1, 1}, Conv2dGeometry{3, 2, 1, 2, 1, 1, 2, 1},
          Conv2dGeometry{4, 4, 3, 3, 2, 2, 1, 1}};
}

}  // namespace

TEST_CASE("CUDA max_pool2d and its backward agree with the CPU", "[cuda][pool]") {
  const Device g = gpu();
  Tensor x = rand({2, 3, 12, 11}, 1, DType::Float32);
  x.slice(2, 0, 4).slice(3, 0, 4).fill_(0.5);  // ties: the first tap wins
  const Tensor grad_source = rand({2, 3, 12, 11}, 2, DType::Float32);
  for (const Conv2dGeometry& geometry : geometries()) {
    INFO("kernel " << geometry.kernel_h << "x" << geometry.kernel_w << " stride " << geometry.stride_h << " pad "
                   << geometry.pad_h << " dilation " << geometry.dilation_h);
    const MaxPoolForward cpu = max_pool2d_kernel(x, geometry);
    const MaxPoolForward cuda = max_pool2d_kernel(x.to(g), geometry);
    require_bitwise_agrees(cuda.values, cpu.values);
    const Tensor grad = rand(cpu.values.shape(), 3, DType::Float32);
    require_agrees(max_pool2d_backward_kernel(x.to(g), cuda, grad.to(g), geometry),
                   max_pool2d_backward_kernel(x, cpu, grad, geometry), 1e-6, 1e-6);
  }
}

TEST_CASE("CUDA avg_pool2d and its backward agree with the CPU", "[cuda][pool]") {
  const Device g = gpu();
  const Tensor x = rand({2, 3, 12, 11}, 4, DType::Float64);
  for (const Conv2dGeometry& geometry : geometries()) {
    INFO("kernel " << geometry.kernel_h << "x" << geometry.kernel_w << " stride " << geometry.stride_h);
    const Tensor out = avg_pool2d_kernel(x, geometry);
    require_agrees(avg_pool2d_kernel(x.to(g), geometry), out, 1e-14, 1e-14);
    const Tensor grad = rand(out.shape(), 5, DType::Float64);
    require_agrees(avg_pool2d_backward_kernel(grad.to(g), geometry, x.shape()),
                   avg_pool2d_backward_kernel(grad, geometry, x.shape()), 1e-14, 1e-14);
  }
}
