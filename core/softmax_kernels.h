#pragma once
// Softmax, log-softmax and the fused cross-entropy loss, dispatched on the
// tensors' device (Note [Kernel tables]). No autograd: autograd/ops.h and
// layers/losses.h record the graph around them.
#include "veil/core/tensor.h"

namespace veil {

struct SoftmaxKernels {
  // Row by row over contiguous x [R, N] into contiguous out [R, N],
  // max-shifted for stability: softmax y = exp(x - m) / sum(exp(x - m)),
  // log_softmax y = (x - m) - log(sum(exp(x - m))).
  void (*softmax)(const Tensor& x, const Tensor& out) = nullptr;
  void (*log_softmax)(const Tensor& x, const Tensor& out) = nullptr;
  // Cross-entropy of contiguous logits [B, K] with int64 labels [B], each
  // in [0, K) (cross_entropy_kernel checks them first): writes probs
  // [B, K] = softmax(logits) for the backward and the scalar loss = scale *
  // sum_i -log softmax(logits_i)[label_i] (summed in double, stored in the
  // logits' dtype). A kernel never reads outside a row.
  void (*cross_entropy)(const Tensor& logits, const Tensor& labels, double scale, const Tensor& probs,
                        const Tensor& loss) = nullptr;
  // grad [B, K] = (probs - onehot(labels)) * factor * upstream, with
  // upstream a one-element tensor of probs' dtype and device read by the
  // kernel (the loss's incoming gradient: no host read), or undefined for 1.
  // grad does not alias probs.
  void (*cross_entropy_backward)(const Tensor& probs, const Tensor& labels, double factor, const Tensor& upstream,
                                 const Tensor& grad) = nullptr;
};

// The kernels for a device; throws by name for a device without them.
const SoftmaxKernels& softmax_kernels(Device device);

// softmax / log_softmax of x along dim (float32/float64, any strides): a new
// contiguous tensor shaped like x.
Tensor softmax_kernel(const Tensor& x, int dim);
Tensor log_softmax_kernel(const Tensor& x, int dim);

// Checks logits [B, K] and labels int64 [B]; returns the loss (a scalar
// tensor of the logits' dtype) and the softmax probabilities [B, K]. A
// label outside [0, K) fails, naming it and its example: at once on the CPU,
// at the next host read on a GPU (Note [Deferred device errors]), the loss
// being NaN meanwhile.
struct CrossEntropyForward {
  Tensor loss, probs;
};
CrossEntropyForward cross_entropy_kernel(const Tensor& logits, const Tensor& labels, double scale);
// dL/dlogits = (probs - onehot(labels)) * factor [* upstream], a new tensor.
Tensor cross_entropy_backward_kernel(const Tensor& probs, const Tensor& labels, double factor,
                                     const Tensor& upstream = Tensor());

}  // namespace veil
