#pragma once
// Losses. Each returns a scalar: the mean (default) or sum over the batch of
// per-example losses. Under DP, tell the privacy engine which reduction the
// loss uses (PerSampleConfig::loss_reduction): per-sample gradients are
// those of each example's own loss term.
//
// cross_entropy: logits [B, K] (float), labels [B] int64 in [0, K);
//   l_i = -log softmax(logits_i)[label_i]. An empty batch gives 0. A label
//   outside [0, K) fails naming it: at once on the CPU, at the next host
//   read on a GPU (Note [Deferred device errors]). Forward and backward
//   read nothing back to the host.
// mse_loss: prediction and target of one shape [B, ...];
//   l_i = sum over the example's elements of (p - t)^2, divided by the
//   element count per example for Mean (PyTorch's mean over all elements).
#include "veil/core/tensor.h"
#include "veil/layers/per_sample.h"

namespace veil {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, LossReduction reduction = LossReduction::Mean);
Tensor mse_loss(const Tensor& prediction, const Tensor& target, LossReduction reduction = LossReduction::Mean);

// Module-style wrappers, for code that keeps the reduction with the loss.
struct CrossEntropyLoss {
  LossReduction reduction = LossReduction::Mean;
  Tensor operator()(const Tensor& logits, const Tensor& labels) const { return cross_entropy(logits, labels, reduction); }
};
struct MSELoss {
  LossReduction reduction = LossReduction::Mean;
  Tensor operator()(const Tensor& prediction, const Tensor& target) const { return mse_loss(prediction, target, reduction); }
};

}  // namespace veil
