#pragma once
// Kernels of the per-sample gradient rules (Note [Per-sample gradient
// routes] in layers/per_sample.h), dispatched on the tensors' device (Note
// [Kernel tables]). A per-sample tensor is [B, ...], viewed as B rows of W
// elements; coefficients and norms are float64 [B]. A coefficient of
// exactly 0 drops its example's block even where the block holds NaN or inf
// (0 * NaN would be NaN): the clipping of a non-finite example. All
// operands contiguous and on one device.
#include "veil/core/tensor.h"

namespace veil {

struct PerSampleKernels {
  // out[i] = ||x[i]||^2, accumulated in float64.
  void (*row_sq_norms)(const Tensor& x, const Tensor& out) = nullptr;
  // out[i] = c_i x[i], or 0 where c_i == 0 (out may alias x).
  void (*scale_rows)(const Tensor& x, const Tensor& coeffs, const Tensor& out) = nullptr;
  // out [W] += sum over i with c_i != 0 of c_i x[i].
  void (*weighted_row_sum)(const Tensor& x, const Tensor& coeffs, const Tensor& out) = nullptr;
  // out[i] = 0 where c_i == 0, else 1 (float64).
  void (*keep_mask)(const Tensor& coeffs, const Tensor& out) = nullptr;
  // False only when no c_i == 0, for callers that skip work on false. A
  // device whose answer would need a host read (Note [Host reads]) returns
  // true without looking: the CUDA table does.
  bool (*any_zero)(const Tensor& coeffs) = nullptr;
  // out [B, C] = sum over t of x [B, T, C], t in order.
  void (*sum_positions)(const Tensor& x, const Tensor& out) = nullptr;
  // Ghost norms of per-sample weight gradients dW_i[g] = grads_i[g]^T
  // rows_i[g] (G column groups) without forming them: rows [B, T, G*K],
  // grads [B, T, G*O], out[i] = ||dW_i||^2 = sum over groups g of
  // <rows_i[g] rows_i[g]^T, grads_i[g] grads_i[g]^T> (T x T Gram matrices),
  // in float64. workspace holds gram_workspace_numel(T) elements of the
  // rows' dtype.
  void (*gram_sq_norms)(std::int64_t groups, const Tensor& rows, const Tensor& grads, const Tensor& workspace,
                        const Tensor& out) = nullptr;
  std::int64_t (*gram_workspace_numel)(std::int64_t positions) = nullptr;
};

const PerSampleKernels& per_sample_kernels(Device device);

// Result-allocating conveniences over the table (float64 [B] results).
Tensor row_sq_norms_kernel(const Tensor& per_sample);
Tensor scale_rows_kernel(const Tensor& per_sample, const Tensor& coeffs);
// Shaped like one sample.
Tensor weighted_row_sum_kernel(const Tensor& per_sample, const Tensor& coeffs);
Tensor keep_mask_kernel(const Tensor& coeffs);
bool any_zero_kernel(const Tensor& coeffs);
Tensor sum_positions_kernel(const Tensor& x);
// `workspace` is grown (reallocated) when smaller than the kernel needs and
// reused otherwise, so that a caller keeping it allocates once.
Tensor gram_sq_norms_kernel(std::int64_t groups, const Tensor& rows, const Tensor& grads, Tensor& workspace);

}  // namespace veil
