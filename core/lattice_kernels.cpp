#include "veil/core/lattice_kernels.h"

#include "veil/core/kernel_table.h"

namespace veil {

const LatticeKernels& cpu_lattice_kernels();  // core/cpu/lattice_cpu.cpp

const LatticeKernels& lattice_kernels(Device device) {
  return select_kernels<LatticeKernels>(device, cpu_lattice_kernels(), nullptr, "lattice noise");
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
