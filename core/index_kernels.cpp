#include "veil/core/index_kernels.h"

#include <string>

#include "veil/core/device_checks.h"
#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const IndexKernels& cpu_index_kernels();  // core/cpu/index_cpu.cpp
const IndexKernels& cuda_index_kernels();  // core/cuda/index_cuda.cu

const IndexKernels& index_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const IndexKernels* cuda_table = &cuda_index_kernels();
#else
  const IndexKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_index_kernels(), cuda_table, "index");
}

namespace {

const DeviceCheck kIndexInRange([](const CheckFailure& f) {
  std::string message = "index " + std::to_string(static_cast<std::int64_t>(f.value)) + " out of range for " +
                        std::to_string(f.limit) + " rows";
  if (f.count > 1) message += " (" + std::to_string(f.count) + " indices out of range in all)";
  return message;
});

}  // namespace

Tensor index_select_kernel(const Tensor& a, const Tensor& indices) {
  VEIL_CHECK(indices.dtype() == DType::Int64) << "index_select needs int64 indices, got " << indices.dtype();
  VEIL_CHECK(a.dim() >= 1) << "index_select on a scalar";
  Shape shape = indices.shape();
  for (int k = 1; k < a.dim(); ++k) shape.push_back(a.shape()[k]);
  VEIL_CHECK(indices.device() == a.device())
      << "index_select: indices on " << indices.device() << " for a tensor on " << a.device();
  const Tensor idx = indices.contiguous();
  check_indices_in_range(idx, a.size(0), kIndexInRange);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  index_kernels(a.device()).gather_rows(a.contiguous(), idx, out);
  return out;
}

Tensor index_select_backward_kernel(const Tensor& g, const Tensor& indices, const Shape& a_shape) {
  Tensor grad = Tensor::zeros(a_shape, g.dtype(), g.device());
  index_kernels(g.device()).scatter_add_rows(g.contiguous(), indices.contiguous(), grad);
  return grad;
}

}  // namespace veil
