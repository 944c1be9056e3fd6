#pragma once
// RAII owners of cuDNN objects: the handle of each GPU (bound to its stream,
// Note [One stream per device]) and the descriptors of one call.
#include <cudnn.h>

#include "veil/core/conv_geometry.h"
#include "veil/core/cuda/cudnn_library.h"
#include "veil/core/device.h"
#include "veil/core/tensor.h"

namespace veil::cuda {

// The calling thread's current GPU becomes `device`; its cuDNN handle,
// created (and cuDNN loaded) on first use, runs on stream_for(device).
cudnnHandle_t cudnn_handle(Device device);

// A 4-D tensor descriptor for a contiguous NCHW tensor.
class TensorDescriptor {
 public:
  explicit TensorDescriptor(const Tensor& t);
  ~TensorDescriptor();
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// The filter [C_out, C_in/G, kh, kw] of a convolution.
class FilterDescriptor {
 public:
  explicit FilterDescriptor(const Tensor& weight);
  ~FilterDescriptor();
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;
  cudnnFilterDescriptor_t get() const { return desc_; }

 private:
  cudnnFilterDescriptor_t desc_ = nullptr;
};

// Cross-correlation (PyTorch's and veil's convolution) with the geometry's
// padding, stride and dilation, `groups` groups, in the dtype's own
// precision: FMA math, no TF32, so float32 results stay comparable with the
// CPU's.
class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor(const Conv2dGeometry& g, std::int64_t groups, DType dtype);
  ~ConvolutionDescriptor();
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;
  cudnnConvolutionDescriptor_t get() const { return desc_; }

 private:
  cudnnConvolutionDescriptor_t desc_ = nullptr;
};

}  // namespace veil::cuda
