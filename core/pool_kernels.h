#pragma once
// 2-D max and average pooling over [B, C, H, W] and their backward,
// dispatched on the tensors' device (Note [Kernel tables]). No autograd:
// max_pool2d and avg_pool2d in autograd/ops.h record the graph around them.
//
// Windows follow Conv2dGeometry (padding at most half the kernel). Max
// pooling ignores padding (a window over padding alone gives -inf and no
// gradient); ties go to the first tap in row-major order. Average pooling
// counts padding as zeros: every window divides by kernel_h * kernel_w.
#include "veil/core/conv_geometry.h"
#include "veil/core/tensor.h"

namespace veil {

struct PoolKernels {
  // x, out contiguous ([B, C, H, W], [B, C, OH, OW]). Writes the maxima to
  // out and returns their indices (int64 [B, C, OH, OW], flat within the
  // H*W plane, -1 for a window over padding alone) when the kernel found
  // them on the way, an undefined tensor otherwise.
  Tensor (*max_pool2d)(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) = nullptr;
  // dx [B, C, H, W] (every element written) from grad [B, C, OH, OW], given
  // the forward's x, out and returned indices (contiguous).
  void (*max_pool2d_backward)(const Tensor& x, const Tensor& out, const Tensor& indices, const Tensor& grad,
                              const Conv2dGeometry& g, const Tensor& dx) = nullptr;
  void (*avg_pool2d)(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) = nullptr;
  void (*avg_pool2d_backward)(const Tensor& grad, const Conv2dGeometry& g, const Tensor& dx) = nullptr;
};

// The kernels for a device; throws by name for a device without them.
const PoolKernels& pool_kernels(Device device);

// Result-allocating conveniences; they check the shapes and geometry and
// take inputs of any strides.
struct MaxPoolForward {
  Tensor values;   // [B, C, OH, OW]
  Tensor indices;  // undefined unless the kernel kept them (see above)
};
MaxPoolForward max_pool2d_kernel(const Tensor& x, const Conv2dGeometry& g);
// x and forward as from the forward pass (x contiguous).
Tensor max_pool2d_backward_kernel(const Tensor& x, const MaxPoolForward& forward, const Tensor& grad,
                                  const Conv2dGeometry& g);
Tensor avg_pool2d_kernel(const Tensor& x, const Conv2dGeometry& g);
Tensor avg_pool2d_backward_kernel(const Tensor& grad, const Conv2dGeometry& g, const Shape& input_shape);

}  // namespace veil
