// CUDA clipping factors (core/clip_kernels.h): the CPU formula per example.
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

}  // namespace

const ClipKernels& cuda_clip_kernels() {
  static const ClipKernels kernels{cuda_clip_factors};
  return kernels;
}

}  // namespace veil
