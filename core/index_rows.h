#pragma once
// Row lookups and scatter-adds by int64 index (the embedding table's
// kernels), dispatched on the tensors' device (Note [Kernel tables]).
//
// Shapes: table [V, D]; indices int64 [N] or [B, T], each in [0, V)
// (checked by the caller; on a GPU the check's failure may still be
// pending, Note [Deferred device errors]: a bad index's row gathers as 0 and
// scatters nowhere);
// rows [N, D] or [B, T, D]; coefficients float64 [B]. A coefficient of
// exactly 0 skips its example (its rows may be NaN or inf). Operands
// contiguous, on one device.
#include "veil/core/tensor.h"

namespace veil {

struct IndexRowsKernels {
  // out [N, D] = table[indices[n]].
  void (*gather_rows)(const Tensor& table, const Tensor& indices, const Tensor& out) = nullptr;
  // table [V, D] += c_i rows[i, t] at row indices[i, t], for indices [B, T]
  // and rows [B, T, D]; every c_i = 1 when coeffs is undefined. Examples
  // are added in order (two examples may hit the same row).
  void (*scatter_add_rows)(const Tensor& indices, const Tensor& rows, const Tensor& coeffs,
                           const Tensor& table) = nullptr;
  // out [B, V, D] += rows[i, t] at out[i, indices[i, t]]: per-example tables.
  void (*scatter_add_per_sample)(const Tensor& indices, const Tensor& rows, const Tensor& out) = nullptr;
  // out[i] = ||scatter of example i's rows||^2 (float64 [B]) without
  // forming the table: rows of equal index are summed first.
  void (*scattered_sq_norms)(const Tensor& indices, const Tensor& rows, const Tensor& out) = nullptr;
};

const IndexRowsKernels& index_rows_kernels(Device device);

}  // namespace veil
