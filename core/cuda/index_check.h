#pragma once
// Index validation on the GPU (nvcc only): the position of the first index
// outside [0, limit), read back to the host so that the caller can throw a
// message naming it, as the CPU kernels do.
#include <cstdint>

#include "veil/core/cuda/launch.h"
#include "veil/core/tensor.h"

namespace veil::cuda {

// The flat position of the first int64 index of contiguous `indices` outside
// [0, limit), or -1. Synchronises with the device (one number comes back).
inline std::int64_t first_index_outside(const Tensor& indices, std::int64_t limit) {
  if (indices.numel() == 0) return -1;
  const Tensor first = Tensor::full({1}, static_cast<double>(indices.numel()), DType::Int64, indices.device());
  const std::int64_t* pi = indices.data<std::int64_t>();
  auto* found = reinterpret_cast<unsigned long long*>(first.data<std::int64_t>());
  for_each_index("index range check", indices.device(), indices.numel(), [=] __device__(std::int64_t k) {
    if (pi[k] < 0 || pi[k] >= limit) atomicMin(found, static_cast<unsigned long long>(k));  // an integer minimum: exact
  });
  const auto position = static_cast<std::int64_t>(first.item());
  return position == indices.numel() ? -1 : position;
}

}  // namespace veil::cuda
