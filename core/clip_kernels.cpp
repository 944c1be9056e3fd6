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

Tensor clip_factors(const Tensor& norms, const Tensor& totals, double threshold, double stabiliser) {
  VEIL_CHECK(norms.dtype() == DType::Float64 && totals.dtype() == DType::Float64 && norms.dim() == 1 &&
             totals.shape() == norms.shape() && norms.is_contiguous() && totals.is_contiguous() &&
             norms.device() == totals.device())
      << "clip factors need contiguous float64 [B] norms and totals on one device, got " << norms.shape() << " "
      << norms.dtype() << " and " << totals.shape() << " " << totals.dtype();
  Tensor out = Tensor::empty(norms.shape(), DType::Float64, norms.device());
  clip_kernels(norms.device()).clip_factors(norms, totals, threshold, stabiliser, out);
  return out;
}

}  // namespace veil
