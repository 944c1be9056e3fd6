#pragma once
// Row gathers by index and their adjoint, dispatched on the tensors' device
// (Note [Kernel tables]). No autograd: index_select in autograd/ops.h
// records the graph around them.
#include "veil/core/tensor.h"

namespace veil {

struct IndexKernels {
  // Viewing contiguous src as [R, W] and out as [N, W]: out[i] =
  // src[indices[i]] for int64 indices (contiguous, N of them), already
  // checked to lie in [0, R). On a GPU that check's failure may still be
  // pending (Note [Deferred device errors]): the row of a bad index is 0.
  // Any dtype.
  void (*gather_rows)(const Tensor& src, const Tensor& indices, const Tensor& out) = nullptr;
  // The adjoint, accumulating: out[indices[i]] += src[i] in index order;
  // on a GPU a bad index adds nothing. Float32/float64.
  void (*scatter_add_rows)(const Tensor& src, const Tensor& indices, const Tensor& out) = nullptr;
};

// The kernels for a device; throws by name for a device without them.
const IndexKernels& index_kernels(Device device);

// a [R, ...] indexed along dim 0 by int64 indices of any shape: out has
// shape indices.shape() + a.shape()[1:]. An index outside [0, R) fails,
// naming it, at once on the CPU and at the next host read on a GPU (Note
// [Deferred device errors]).
Tensor index_select_kernel(const Tensor& a, const Tensor& indices);
// Its adjoint: a zero tensor of a_shape with each row g[i] added at
// indices[i].
Tensor index_select_backward_kernel(const Tensor& g, const Tensor& indices, const Shape& a_shape);

}  // namespace veil
