#include "veil/core/softmax_kernels.h"

#include "veil/core/device_checks.h"
#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const SoftmaxKernels& cpu_softmax_kernels();  // core/cpu/softmax_cpu.cpp
const SoftmaxKernels& cuda_softmax_kernels();  // core/cuda/softmax_cuda.cu

const SoftmaxKernels& softmax_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const SoftmaxKernels* cuda_table = &cuda_softmax_kernels();
#else
  const SoftmaxKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_softmax_kernels(), cuda_table, "softmax");
}

namespace {

// x with dimensions d and last swapped (a view: no data moves).
Tensor swap_with_last(const Tensor& x, int d) {
  const int last = x.dim() - 1;
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[d], shape[last]);
  std::swap(strides[d], strides[last]);
  return make_view(x, shape, strides, x.offset());
}

// Runs a row kernel over the rows along `dim` after moving dim last; the
// result comes back in x's layout.
Tensor along_last(const Tensor& x, int dim, void (*rows)(const Tensor&, const Tensor&)) {
  const int d = normalize_dim(dim, x.dim());
  const Tensor moved = swap_with_last(x, d).contiguous();
  Tensor out = Tensor::empty(moved.shape(), x.dtype(), x.device());
  rows(moved, out);
  return swap_with_last(out, d).contiguous();
}

const DeviceCheck kLabelInRange([](const CheckFailure& f) {
  return "cross_entropy: label " + std::to_string(static_cast<std::int64_t>(f.value)) + " of example " +
         std::to_string(f.index) + " is outside [0, " + std::to_string(f.limit) + ")";
});

}  // namespace

Tensor softmax_kernel(const Tensor& x, int dim) { return along_last(x, dim, softmax_kernels(x.device()).softmax); }

Tensor log_softmax_kernel(const Tensor& x, int dim) {
  return along_last(x, dim, softmax_kernels(x.device()).log_softmax);
}

CrossEntropyForward cross_entropy_kernel(const Tensor& logits, const Tensor& labels, double scale) {
  VEIL_CHECK(logits.dim() == 2) << "cross_entropy expects logits [B, K], got " << logits.shape();
  VEIL_CHECK(labels.dtype() == DType::Int64 && labels.dim() == 1 && labels.size(0) == logits.size(0))
      << "cross_entropy expects int64 labels [" << logits.size(0) << "], got " << labels.dtype() << " "
      << labels.shape();
  VEIL_CHECK(labels.device() == logits.device())
      << "cross_entropy: labels on " << labels.device() << " but logits on " << logits.device();
  const Tensor x = logits.contiguous();
  const Tensor y = labels.contiguous();
  check_indices_in_range(y, x.size(1), kLabelInRange);
  CrossEntropyForward out{Tensor::empty({}, x.dtype(), x.device()), Tensor::empty(x.shape(), x.dtype(), x.device())};
  softmax_kernels(x.device()).cross_entropy(x, y, scale, out.probs, out.loss);
  return out;
}

Tensor cross_entropy_backward_kernel(const Tensor& probs, const Tensor& labels, double factor,
                                     const Tensor& upstream) {
  VEIL_ASSERT(!upstream.defined() || (upstream.numel() == 1 && upstream.dtype() == probs.dtype() &&
                                      upstream.device() == probs.device()))
      << "cross_entropy backward: upstream gradient " << upstream.shape() << " " << upstream.dtype();
  Tensor grad = Tensor::empty(probs.shape(), probs.dtype(), probs.device());
  softmax_kernels(probs.device()).cross_entropy_backward(probs, labels, factor,
                                                         upstream.defined() ? upstream.contiguous() : upstream, grad);
  return grad;
}

}  // namespace veil
