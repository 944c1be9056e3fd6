#pragma once
// The CPU loop behind element-wise ops on tensors of any strides.
//
// for_each_row walks a shape as rows of its innermost dimension and calls
// fn(offsets, n, inner_strides) once per row, with each operand's element
// offset of the row start. Rows are split across threads. Operands are given
// as (strides, base offset); a broadcast operand has stride 0 along the
// stretched dimensions.
#include <array>
#include <cstdint>

#include "veil/core/parallel.h"
#include "veil/core/shape.h"

namespace veil::cpu {

template <std::size_t N, typename Fn>
void for_each_row(const Shape& shape, const std::array<Shape, N>& strides,
                  const std::array<std::int64_t, N>& base, const Fn& fn) {
  const int rank = static_cast<int>(shape.size());
  if (shape_numel(shape) == 0) return;
  if (rank == 0) {
    std::array<std::int64_t, N> inner{};
    fn(base, std::int64_t{1}, inner);
    return;
  }
  const std::int64_t inner_n = shape[rank - 1];
  std::array<std::int64_t, N> inner_stride;
  for (std::size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][rank - 1];
  const std::int64_t rows = shape_numel(shape) / inner_n;
  const std::int64_t grain = inner_n >= 4096 ? 1 : (4096 + inner_n - 1) / inner_n;

  parallel_for(rows, grain, [&](std::int64_t begin, std::int64_t end) {
    // Multi-index of row `begin` over the outer dimensions.
    std::array<std::int64_t, 16> index{};
    std::int64_t rest = begin;
    for (int d = rank - 2; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    std::array<std::int64_t, N> offset = base;
    for (std::size_t k = 0; k < N; ++k)
      for (int d = 0; d < rank - 1; ++d) offset[k] += index[d] * strides[k][d];
    for (std::int64_t row = begin; row < end; ++row) {
      fn(offset, inner_n, inner_stride);
      // Advance the multi-index like an odometer.
      for (int d = rank - 2; d >= 0; --d) {
        ++index[d];
        for (std::size_t k = 0; k < N; ++k) offset[k] += strides[k][d];
        if (index[d] < shape[d]) break;
        for (std::size_t k = 0; k < N; ++k) offset[k] -= index[d] * strides[k][d];
        index[d] = 0;
      }
    }
  });
}

}  // namespace veil::cpu
