#pragma once
// Convolution forward and backward-data (NCHW), dispatched on the tensors'
// device (Note [Kernel tables]), by one of two routes:
//
//  - Im2row: GEMMs over the row layout (Note [Conv2d row layout] in
//    layers/conv2d.cpp), the im2row and GEMM kernels of the device. The
//    CPU's route, and the GPU's by default.
//  - Cudnn: cuDNN's convolutions (GPU only), chosen by setting the
//    environment variable VEIL_CUDA_CONV=cudnn.
//
// Note [Choosing the GPU convolution route]
// The layer needs the rows U = im2row(x) for the weight gradient (the
// per-sample rule, or the summed gradient) whatever the route, so the im2row
// route's forward is one GEMM over rows already made, the same arithmetic as
// cuDNN's implicit GEMM. cuDNN saves the transposes of the row layout and,
// backward, the materialised patch gradients, but its first convolution
// loads about 0.4 GB of libraries (cuDNN 9's graph, ops, cnn, heuristic and
// engine libraries: 0.1 s from the page cache, 1.4 s cold, measured on a
// build machine), inside the first epoch. Which route steps faster has not
// been measured on a GPU yet: scripts/gpu_check.sh times both (bench_train
// under each, after warm-up steps) so that the default can follow the
// figures. Both compute in full float32 (no TF32), as the CPU does.
//
// Shapes: images [B, C_in, H, W]; weight [C_out, C_in/G, kh, kw];
// out [B, C_out, H_out, W_out]; L = H_out * W_out. Every operand contiguous
// and on one device, one floating dtype.
#include <cstdint>

#include "veil/core/conv_geometry.h"
#include "veil/core/tensor.h"

namespace veil {

enum class ConvRoute { Im2row, Cudnn };

struct ConvKernels {
  // out = the convolution of images with weight (no bias). rows =
  // im2row(images) [B, L, C_in*kh*kw], which the caller holds for the weight
  // gradient: a route reads images or rows, whichever suits it.
  void (*forward)(const Tensor& images, const Tensor& rows, const Tensor& weight, const Conv2dGeometry& g,
                  std::int64_t groups, const Tensor& out) = nullptr;
  // grad_images [B, C_in, H, W] = the adjoint of forward applied to
  // grad_out [B, C_out, H_out, W_out]; grad_rows is grad_out in the row
  // layout [B, L, C_out], which the caller holds for the weight gradient.
  void (*backward_data)(const Tensor& grad_out, const Tensor& grad_rows, const Tensor& weight,
                        const Conv2dGeometry& g, std::int64_t groups, const Tensor& grad_images) = nullptr;
};

// The route VEIL_CUDA_CONV names: unset or empty is the default, Im2row;
// "im2row" or "cudnn"; anything else throws naming the variable.
ConvRoute parse_conv_route(const char* value);
// The GPU's route, read from the environment on first use.
ConvRoute cuda_conv_route();

// The kernels of a route for a device (the CPU has Im2row only).
const ConvKernels& conv_kernels(Device device, ConvRoute route);
// With the CPU's route, or the GPU's from cuda_conv_route().
const ConvKernels& conv_kernels(Device device);

// Result-allocating conveniences over conv_kernels(device); they check shapes.
Tensor conv2d_forward_kernel(const Tensor& images, const Tensor& rows, const Tensor& weight, const Conv2dGeometry& g,
                             std::int64_t groups);
Tensor conv2d_backward_data_kernel(const Tensor& grad_out, const Tensor& grad_rows, const Tensor& weight,
                                   const Conv2dGeometry& g, std::int64_t groups, const Shape& images_shape);

}  // namespace veil
