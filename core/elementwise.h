#pragma once
// Element-wise kernels on tensors, dispatched on the tensors' device.
//
// Note [One functor, two loops]
// The math lives in core/elementwise_functors.h. The CPU loop
// (core/cpu/elementwise_cpu.cpp) and the CUDA launcher
// (core/cuda/elementwise_cuda.cu) both run those functors over strided operands,
// so the CPU tests check the arithmetic the GPU runs. The dispatch point is
// the table below: one slot per device, the CUDA slot filled only when veil
// is built with CUDA.
#include "veil/core/elementwise_functors.h"
#include "veil/core/tensor.h"

namespace veil {

struct ElementwiseKernels {
  // out = f(in) for same-shaped tensors (out may alias in).
  void (*unary)(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) = nullptr;
  // out = f(a, b) with a and b already expanded to out's shape (stride 0
  // along broadcast dims; out may alias a).
  void (*binary)(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) = nullptr;
};

// The kernels for a device; throws "built without CUDA" for an empty slot.
const ElementwiseKernels& elementwise_kernels(Device device);

// Result-allocating and in-place conveniences over the table. They do not
// record autograd (ops in core/ops.h do).
Tensor unary_kernel(UnaryKind kind, const Tensor& in, double scalar = 0.0);
Tensor binary_kernel(BinaryKind kind, const Tensor& a, const Tensor& b, double scalar = 0.0);
void unary_kernel_(UnaryKind kind, const Tensor& inout, double scalar = 0.0);
void binary_kernel_(BinaryKind kind, const Tensor& a_out, const Tensor& b, double scalar = 0.0);

// A view of t with shape `shape`, stride 0 along broadcast dimensions.
Tensor expand_to(const Tensor& t, const Shape& shape);

}  // namespace veil
