// CPU clipping factors (core/clip_kernels.h).
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

}  // namespace

const ClipKernels& cpu_clip_kernels() {
  static const ClipKernels kernels{cpu_clip_factors};
  return kernels;
}

}  // namespace veil
