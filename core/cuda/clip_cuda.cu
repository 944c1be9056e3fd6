// CUDA clipping factors and flags (core/clip_kernels.h): the CPU formulas per
// example.
#include <cmath>

#include "veil/core/clip_kernels.h"
#include "veil/core/cuda/launch.h"

namespace veil {
namespace {

void cuda_clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser,
                       const Tensor& out) {
  const double* n = norms.data<double>();
  const double* total = totals.data<double>();
  double* c = out.data<double>();
  // min(1, C / NaN) would be 1 and let a non-finite gradient through unclipped.
  cuda::for_each_index("clip factors", out.device(), out.numel(), [=] __device__(std::int64_t i) {
    c[i] = isfinite(total[i]) ? fmin(1.0, threshold / (n[i] + stabiliser)) : 0.0;
  });
}

void cuda_mark_clipped(const Tensor& coeffs, const Tensor& totals, const Tensor& clipped) {
  const double* c = coeffs.data<double>();
  const double* total = totals.data<double>();
  double* flag = clipped.data<double>();
  cuda::for_each_index("clipped flags", clipped.device(), clipped.numel(), [=] __device__(std::int64_t i) {
    if (isfinite(total[i]) && c[i] < 1.0) flag[i] = 1.0;
  });
}

void cuda_mark_non_finite(const Tensor& totals, const Tensor& non_finite) {
  const double* total = totals.data<double>();
  double* flag = non_finite.data<double>();
  cuda::for_each_index("non-finite flags", non_finite.device(), non_finite.numel(),
                       [=] __device__(std::int64_t i) { flag[i] = isfinite(total[i]) ? 0.0 : 1.0; });
}

}  // namespace

const ClipKernels& cuda_clip_kernels() {
  static const ClipKernels kernels{cuda_clip_factors, cuda_mark_clipped, cuda_mark_non_finite};
  return kernels;
}

}  // namespace veil
