// Copies that involve GPU memory.
#include "veil/core/copy.h"
#include "veil/core/cuda/cuda_check.h"

namespace veil {

void copy_device_to_device(const Tensor& src, const Tensor& dst) {
  VEIL_CHECK(src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous())
      << "CUDA copies need contiguous tensors of one dtype for now";
  VEIL_CUDA_CHECK(cudaMemcpy(dst.raw_data(), src.raw_data(), src.numel() * dtype_size(src.dtype()),
                             cudaMemcpyDeviceToDevice));
}

void copy_host_device(const Tensor& src, const Tensor& dst) {
  const cudaMemcpyKind kind = src.device().is_cuda() ? (dst.device().is_cuda() ? cudaMemcpyDeviceToDevice
                                                                                : cudaMemcpyDeviceToHost)
                                                     : cudaMemcpyHostToDevice;
  VEIL_CUDA_CHECK(cudaMemcpy(dst.raw_data(), src.raw_data(), src.numel() * dtype_size(src.dtype()), kind));
}

}  // namespace veil
