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
  // The statistics of privacy/clipping.h, kept on the device:
  // clipped[i] = 1 where total_i is finite and c_i < 1 (left as it is
  // elsewhere, so calls for several coefficient vectors accumulate "any");
  // non_finite[i] = 1 where total_i is NaN or inf, else 0. float64 [B].
  void (*mark_clipped)(const Tensor& coeffs, const Tensor& totals, const Tensor& clipped) = nullptr;
  void (*mark_non_finite)(const Tensor& totals, const Tensor& non_finite) = nullptr;
};

// The kernels for a device; fails by name on a device without them.
const ClipKernels& clip_kernels(Device device);

// The factors as a new float64 [B] tensor on the norms' device.
Tensor clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser);
// clipped |= (total finite and c < 1), in place; and a new float64 [B] of
// the non-finite totals' flags.
void mark_clipped_(const Tensor& coeffs, const Tensor& totals, const Tensor& clipped);
Tensor non_finite_flags(const Tensor& totals);

}  // namespace veil
