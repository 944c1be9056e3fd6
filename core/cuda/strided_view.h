#pragma once
// A tensor's layout passed by value to a kernel (nvcc only): element i of a
// row-major walk over `shape` lives at element_offset(i) of the storage.
#include <cstdint>

#include "veil/core/error.h"
#include "veil/core/tensor.h"

namespace veil::cuda {

constexpr int kMaxRank = 8;

struct StridedView {
  int rank;
  std::int64_t shape[kMaxRank];
  std::int64_t strides[kMaxRank];
  std::int64_t offset;

  __device__ std::int64_t element_offset(std::int64_t linear) const {
    std::int64_t at = offset;
    for (int d = rank - 1; d >= 0; --d) {
      at += (linear % shape[d]) * strides[d];
      linear /= shape[d];
    }
    return at;
  }
};

// t walked over `shape` (t's own shape, or the shape it was expanded to).
inline StridedView make_strided_view(const Tensor& t, const Shape& shape) {
  VEIL_CHECK(shape.size() <= kMaxRank) << "CUDA kernels support tensors of rank <= " << kMaxRank << ", got "
                                       << shape;
  StridedView v{};
  v.rank = static_cast<int>(shape.size());
  for (int d = 0; d < v.rank; ++d) {
    v.shape[d] = shape[d];
    v.strides[d] = t.strides()[d];
  }
  v.offset = t.offset();
  return v;
}

}  // namespace veil::cuda
