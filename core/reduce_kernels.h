#pragma once
// Reductions over dimensions (sums, argmax), dispatched on the tensor's
// device (Note [Kernel tables]). They record no autograd: the differentiable
// sum, mean, sum_to and argmax in autograd/ops.h call them.
#include <vector>

#include "veil/core/tensor.h"

namespace veil {

struct ReduceKernels {
  // out = x summed over the dimensions d with reduced[d] (reduced has x.dim()
  // entries); out contiguous, holding the kept dimensions in order (with or
  // without size-1 dimensions in place of the reduced ones).
  // Float32/float64, accumulated in double in an order fixed by the shape
  // (Note [Deterministic sums]).
  void (*sum)(const Tensor& x, const std::vector<bool>& reduced, const Tensor& out) = nullptr;
  // out (int64, contiguous, x's shape without `dim`) = the index of the
  // first maximum along `dim` (normalised, non-empty). Any dtype.
  void (*argmax)(const Tensor& x, int dim, const Tensor& out) = nullptr;
};

// The kernels for a device; throws by name for a device without them.
const ReduceKernels& reduce_kernels(Device device);

// The sum of x over `dims` (negative dims count from the end; each at most
// once), keeping them as size 1 when keepdim.
Tensor sum_kernel(const Tensor& x, const std::vector<int>& dims, bool keepdim);
// The index of the first maximum along dim: int64, x's shape without dim.
Tensor argmax_kernel(const Tensor& x, int dim);
// The dimensions of `from` that summing to `to` reduces when `to`
// broadcasts to `from` (leading extra ones, and size-1 ones of `to`).
std::vector<int> broadcast_reduced_dims(const Shape& from, const Shape& to);

}  // namespace veil
