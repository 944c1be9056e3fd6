#pragma once
// Copies between tensors of any strides, dtypes and devices.
#include "veil/core/tensor.h"

namespace veil {

// dst[i] = convert(src[i]) element by element in row-major order; shapes
// must match and both must be on the same device.
void copy_strided(const Tensor& src, const Tensor& dst);
// Copies a contiguous tensor to a contiguous tensor of the same shape and
// dtype on another device (host <-> GPU).
void copy_between_devices(const Tensor& src, const Tensor& dst);

}  // namespace veil
