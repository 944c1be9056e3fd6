#include "veil/core/reduce_kernels.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const ReduceKernels& cpu_reduce_kernels();  // core/cpu/reduce_cpu.cpp
const ReduceKernels& cuda_reduce_kernels();  // core/cuda/reduce_cuda.cu

const ReduceKernels& reduce_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const ReduceKernels* cuda_table = &cuda_reduce_kernels();
#else
  const ReduceKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_reduce_kernels(), cuda_table, "reduction");
}

namespace {

std::vector<bool> reduced_mask(const std::vector<int>& dims, int rank) {
  std::vector<bool> mask(rank, false);
  for (int d : dims) {
    const int n = normalize_dim(d, rank);
    VEIL_CHECK(!mask[n]) << "dimension " << d << " listed twice in a reduction";
    mask[n] = true;
  }
  return mask;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

}  // namespace

Tensor sum_kernel(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  const auto mask = reduced_mask(dims, x.dim());
  Tensor out = Tensor::empty(reduced_shape(x.shape(), mask, keepdim), x.dtype(), x.device());
  reduce_kernels(x.device()).sum(x, mask, out);
  return out;
}

Tensor argmax_kernel(const Tensor& x, int dim) {
  const int d = normalize_dim(dim, x.dim());
  VEIL_CHECK(x.shape()[d] > 0) << "argmax over an empty dimension of shape " << x.shape();
  Shape shape = x.shape();
  shape.erase(shape.begin() + d);
  Tensor out = Tensor::empty(shape, DType::Int64, x.device());
  reduce_kernels(x.device()).argmax(x, d, out);
  return out;
}

std::vector<int> broadcast_reduced_dims(const Shape& from, const Shape& to) {
  const int rank = static_cast<int>(from.size());
  const int extra = rank - static_cast<int>(to.size());
  VEIL_CHECK(extra >= 0) << "sum_to: cannot reduce shape " << from << " to " << to;
  std::vector<int> dims;
  for (int d = 0; d < rank; ++d) {
    if (d < extra) dims.push_back(d);
    else if (to[d - extra] == 1 && from[d] != 1) dims.push_back(d);
    else VEIL_CHECK(to[d - extra] == from[d]) << "sum_to: cannot reduce shape " << from << " to " << to;
  }
  return dims;
}

}  // namespace veil
