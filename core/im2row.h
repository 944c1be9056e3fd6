#pragma once
// Unfolding images into convolution patches and back, on tensors,
// dispatched on the tensors' device (Note [Kernel tables]). No autograd
// recording (im2col/col2im in autograd/ops.h do).
//
// Shapes: images [B, C, H, W]; L = out_h * out_w positions per image.
//  - rows [B, L, C*kh*kw]: row p is the patch of output position p, columns
//    ordered (c, ki, kj). The layout of Conv2d (Note [Conv2d row layout]).
//  - cols [B, C*kh*kw, L]: im2col, rows ordered (c, ki, kj).
// Out-of-image taps read as zero; the adjoints (row2im, col2im) sum every
// patch entry back into its pixel and drop the out-of-image ones. All
// operands contiguous.
#include "veil/core/conv_geometry.h"
#include "veil/core/tensor.h"

namespace veil {

struct Im2rowKernels {
  void (*im2row)(const Tensor& images, const Conv2dGeometry& g, const Tensor& rows) = nullptr;
  void (*row2im)(const Tensor& rows, const Conv2dGeometry& g, const Tensor& images) = nullptr;
  void (*im2col)(const Tensor& images, const Conv2dGeometry& g, const Tensor& cols) = nullptr;
  void (*col2im)(const Tensor& cols, const Conv2dGeometry& g, const Tensor& images) = nullptr;
  // out [B, C, A] = in [B, A, C] transposed per sample (the row layout's
  // [B, L, C_out] to and from NCHW's [B, C_out, L]).
  void (*transpose_samples)(const Tensor& in, const Tensor& out) = nullptr;
};

const Im2rowKernels& im2row_kernels(Device device);

// Result-allocating conveniences over the table.
Tensor im2row_kernel(const Tensor& images, const Conv2dGeometry& g);
// images_shape is [B, C, H, W].
Tensor row2im_kernel(const Tensor& rows, const Shape& images_shape, const Conv2dGeometry& g);
Tensor im2col_kernel(const Tensor& images, const Conv2dGeometry& g);
Tensor col2im_kernel(const Tensor& cols, const Shape& images_shape, const Conv2dGeometry& g);
Tensor transpose_samples_kernel(const Tensor& in);

}  // namespace veil
