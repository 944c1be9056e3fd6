#include "veil/core/clip_kernels.h"

#include "veil/core/kernel_table.h"

namespace veil {

const ClipKernels& cpu_clip_kernels();  // core/cpu/clip_cpu.cpp
const ClipKernels& cuda_clip_kernels();  // core/cuda/clip_cuda.cu

const ClipKernels& clip_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const ClipKernels* cuda_table = &cuda_clip_kernels();
#else
  const ClipKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_clip_kernels(), cuda_table, "clip");
}

namespace {

void check_pair(const Tensor& norms, const Tensor& totals) {
  VEIL_CHECK(norms.dtype() == DType::Float64 && totals.dtype() == DType::Float64 && norms.dim() == 1 &&
             totals.shape() == norms.shape() && norms.is_contiguous() && totals.is_contiguous() &&
             norms.device() == totals.device())
      << "clip factors need contiguous float64 [B] norms and totals on one device, got " << norms.shape() << " "
      << norms.dtype() << " and " << totals.shape() << " " << totals.dtype();
}

}  // namespace

Tensor clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser) {
  check_pair(norms, totals);
  Tensor out = Tensor::empty(norms.shape(), DType::Float64, norms.device());
  clip_kernels(norms.device()).clip_factors(norms, totals, threshold, stabiliser, out);
  return out;
}

void mark_clipped_(const Tensor& coeffs, const Tensor& totals, const Tensor& clipped) {
  check_pair(coeffs, totals);
  check_pair(clipped, totals);
  clip_kernels(totals.device()).mark_clipped(coeffs, totals, clipped);
}

Tensor non_finite_flags(const Tensor& totals) {
  check_pair(totals, totals);
  Tensor out = Tensor::empty(totals.shape(), DType::Float64, totals.device());
  clip_kernels(totals.device()).mark_non_finite(totals, out);
  return out;
}

}  // namespace veil
