// CPU clipping factors and flags (core/clip_kernels.h).
#include <algorithm>
#include <cmath>

#include "veil/core/clip_kernels.h"

namespace veil {
namespace {

void cpu_clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser,
                      const Tensor& out) {
  const double* n = norms.data<double>();
  const double* total = totals.data<double>();
  double* c = out.data<double>();
  // min(1, C / NaN) would be 1 and let a non-finite gradient through unclipped.
  for (std::int64_t i = 0; i < out.numel(); ++i)
    c[i] = std::isfinite(total[i]) ? std::min(1.0, threshold / (n[i] + stabiliser)) : 0.0;
}

void cpu_mark_clipped(const Tensor& coeffs, const Tensor& totals, const Tensor& clipped) {
  const double* c = coeffs.data<double>();
  const double* total = totals.data<double>();
  double* flag = clipped.data<double>();
  for (std::int64_t i = 0; i < clipped.numel(); ++i)
    if (std::isfinite(total[i]) && c[i] < 1.0) flag[i] = 1.0;
}

void cpu_mark_non_finite(const Tensor& totals, const Tensor& non_finite) {
  const double* total = totals.data<double>();
  double* flag = non_finite.data<double>();
  for (std::int64_t i = 0; i < non_finite.numel(); ++i) flag[i] = std::isfinite(total[i]) ? 0.0 : 1.0;
}

}  // namespace

const ClipKernels& cpu_clip_kernels() {
  static const ClipKernels kernels{cpu_clip_factors, cpu_mark_clipped, cpu_mark_non_finite};
  return kernels;
}

}  // namespace veil
