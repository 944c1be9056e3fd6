// The CUDA im2row table against the CPU's, for padded, strided and dilated
// windows: the gathers exactly, the adjoints (sums) to float64 rounding.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/im2row.h"

using namespace veil;
using namespace veil::testing;

namespace {

std::vector<Conv2dGeometry> geometries() {
  return {Conv2dGeometry{3, 3, 1, 1, 0, 0, 1, 1}, Conv2dGeometry{3, 3, 1, 1, 1, 1, 1, 1},
          Conv2dGeometry{5, 3, 2, 3, 2, 1, 1, 1}, Conv2dGeometry{3, 2, 2, 1, 2, 1, 2, 3},
          Conv2dGeometry{8, 8, 2, 2, 3, 3, 1, 1}};
}

}  // namespace

TEST_CASE("CUDA im2row and im2col copy the CPU's patches exactly", "[cuda][im2row]") {
  const Device g = gpu();
  const Tensor images = rand({3, 2, 11, 13}, 1, DType::Float64);
  for (const Conv2dGeometry& geometry : geometries()) {
    INFO("kernel " << geometry.kernel_h << "x" << geometry.kernel_w << " stride " << geometry.stride_h << " pad "
                   << geometry.pad_h << " dilation " << geometry.dilation_h);
    require_bitwise_agrees(im2row_kernel(images.to(g), geometry), im2row_kernel(images, geometry));
    require_bitwise_agrees(im2col_kernel(images.to(g), geometry), im2col_kernel(images, geometry));
  }
}

TEST_CASE("CUDA row2im and col2im sum the patches back like the CPU", "[cuda][im2row]") {
  const Device g = gpu();
  const Shape shape{3, 2, 11, 13};
  for (const Conv2dGeometry& geometry : geometries()) {
    INFO("kernel " << geometry.kernel_h << "x" << geometry.kernel_w << " stride " << geometry.stride_h);
    const Tensor rows = rand(im2row_kernel(Tensor::zeros(shape, DType::Float64), geometry).shape(), 2, DType::Float64);
    require_agrees(row2im_kernel(rows.to(g), shape, geometry), row2im_kernel(rows, shape, geometry), 1e-12, 1e-12);
    const Tensor cols = rand(im2col_kernel(Tensor::zeros(shape, DType::Float64), geometry).shape(), 3, DType::Float64);
    require_agrees(col2im_kernel(cols.to(g), shape, geometry), col2im_kernel(cols, shape, geometry), 1e-12, 1e-12);
  }
}

TEST_CASE("CUDA transpose_samples swaps the last two dimensions per sample", "[cuda][im2row]") {
  const Device g = gpu();
  const Tensor x = rand({4, 33, 7}, 4, DType::Float32);
  require_bitwise_agrees(transpose_samples_kernel(x.to(g)), transpose_samples_kernel(x));
}
