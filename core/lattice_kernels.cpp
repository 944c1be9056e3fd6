#include "veil/core/lattice_kernels.h"

#include "veil/core/kernel_table.h"

namespace veil {

const LatticeKernels& cpu_lattice_kernels();  // core/cpu/lattice_cpu.cpp
const LatticeKernels& cuda_lattice_kernels();  // core/cuda/lattice_cuda.cu

const LatticeKernels& lattice_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const LatticeKernels* cuda_table = &cuda_lattice_kernels();
#else
  const LatticeKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_lattice_kernels(), cuda_table, "lattice noise");
}

void lattice_snap_add_(const Tensor& data, const Tensor& steps, double granularity) {
  VEIL_CHECK(is_floating(data.dtype()) && data.is_contiguous()) << "lattice noise is added to contiguous "
                                                                 << "floating-point tensors, got " << data.dtype();
  VEIL_CHECK(steps.dtype() == DType::Int64 && steps.is_contiguous() && steps.numel() == data.numel() &&
             steps.device() == data.device())
      << "lattice noise needs " << data.numel() << " contiguous int64 steps on " << data.device();
  lattice_kernels(data.device()).snap_add(data, steps, granularity);
}

}  // namespace veil
