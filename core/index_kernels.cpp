#include "veil/core/index_kernels.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const IndexKernels& cpu_index_kernels();  // core/cpu/index_cpu.cpp

const IndexKernels& index_kernels(Device device) {
  return select_kernels<IndexKernels>(device, cpu_index_kernels(), nullptr, "index");
}

Tensor index_select_kernel(const Tensor& a, const Tensor& indices) {
  VEIL_CHECK(indices.dtype() == DType::Int64) << "index_select needs int64 indices, got " << indices.dtype();
  VEIL_CHECK(a.dim() >= 1) << "index_select on a scalar";
  Shape shape = indices.shape();
  for (int k = 1; k < a.dim(); ++k) shape.push_back(a.shape()[k]);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  index_kernels(a.device()).gather_rows(a.contiguous(), indices.contiguous(), out);
  return out;
}

Tensor index_select_backward_kernel(const Tensor& g, const Tensor& indices, const Shape& a_shape) {
  Tensor grad = Tensor::zeros(a_shape, g.dtype(), g.device());
  index_kernels(g.device()).scatter_add_rows(g.contiguous(), indices.contiguous(), grad);
  return grad;
}

}  // namespace veil
