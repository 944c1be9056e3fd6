#include "veil/core/im2row.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const Im2rowKernels& cpu_im2row_kernels();  // core/cpu/im2row_cpu.cpp
const Im2rowKernels& cuda_im2row_kernels();  // core/cuda/im2row_cuda.cu

const Im2rowKernels& im2row_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const Im2rowKernels* cuda_table = &cuda_im2row_kernels();
#else
  const Im2rowKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_im2row_kernels(), cuda_table, "im2row");
}

namespace {

std::int64_t patch_size(std::int64_t channels, const Conv2dGeometry& g) { return channels * g.kernel_h * g.kernel_w; }
std::int64_t positions(std::int64_t height, std::int64_t width, const Conv2dGeometry& g) {
  return g.out_h(height) * g.out_w(width);
}

void check_images(const Shape& shape, const char* op) {
  VEIL_CHECK(shape.size() == 4) << op << " expects images [B, C, H, W], got " << shape;
}

}  // namespace

Tensor im2row_kernel(const Tensor& images, const Conv2dGeometry& g) {
  check_images(images.shape(), "im2row");
  const Tensor x = images.contiguous();
  Tensor rows = Tensor::empty({x.size(0), positions(x.size(2), x.size(3), g), patch_size(x.size(1), g)}, x.dtype(),
                              x.device());
  im2row_kernels(x.device()).im2row(x, g, rows);
  return rows;
}

Tensor row2im_kernel(const Tensor& rows, const Shape& images_shape, const Conv2dGeometry& g) {
  check_images(images_shape, "row2im");
  const Shape expected{images_shape[0], positions(images_shape[2], images_shape[3], g),
                       patch_size(images_shape[1], g)};
  VEIL_CHECK(rows.shape() == expected) << "row2im: rows " << rows.shape() << " do not match images " << images_shape;
  const Tensor r = rows.contiguous();
  Tensor images = Tensor::empty(images_shape, r.dtype(), r.device());
  im2row_kernels(r.device()).row2im(r, g, images);
  return images;
}

Tensor im2col_kernel(const Tensor& images, const Conv2dGeometry& g) {
  check_images(images.shape(), "im2col");
  const Tensor x = images.contiguous();
  Tensor cols = Tensor::empty({x.size(0), patch_size(x.size(1), g), positions(x.size(2), x.size(3), g)}, x.dtype(),
                              x.device());
  im2row_kernels(x.device()).im2col(x, g, cols);
  return cols;
}

Tensor col2im_kernel(const Tensor& cols, const Shape& images_shape, const Conv2dGeometry& g) {
  check_images(images_shape, "col2im");
  const Shape expected{images_shape[0], patch_size(images_shape[1], g),
                       positions(images_shape[2], images_shape[3], g)};
  VEIL_CHECK(cols.shape() == expected) << "col2im: columns " << cols.shape() << " do not match images "
                                       << images_shape;
  const Tensor c = cols.contiguous();
  Tensor images = Tensor::empty(images_shape, c.dtype(), c.device());
  im2row_kernels(c.device()).col2im(c, g, images);
  return images;
}

Tensor transpose_samples_kernel(const Tensor& in) {
  VEIL_CHECK(in.dim() == 3) << "transpose_samples expects [B, A, C], got " << in.shape();
  const Tensor x = in.contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(2), x.size(1)}, x.dtype(), x.device());
  im2row_kernels(x.device()).transpose_samples(x, out);
  return out;
}

}  // namespace veil
