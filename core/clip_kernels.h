#pragma once
// Per-example clipping factors (Note [Kernel tables]), DP-SGD's
//   c_i = min(1, threshold / (n_i + stabiliser))   where total_i is finite,
//   c_i = 0                                         where it is NaN or inf
// (an example with a non-finite gradient contributes nothing:
// privacy/clipping.h). n: [B] norms the threshold applies to; total: [B]
// each example's norm over all parameters (the same tensor for flat
// clipping). All float64, contiguous, on one device.
#include "veil/core/tensor.h"

namespace veil {

struct ClipKernels {
  void (*clip_factors)(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser,
                       const Tensor& out) = nullptr;
};

// The kernels for a device; fails by name on a device without them.
const ClipKernels& clip_kernels(Device device);

// The factors as a new float64 [B] tensor on the norms' device.
Tensor clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser);

}  // namespace veil
