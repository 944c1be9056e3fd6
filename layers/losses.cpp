#include "veil/layers/losses.h"

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/softmax_kernels.h"

namespace veil {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, LossReduction reduction) {
  const std::int64_t batch = logits.dim() == 2 ? logits.size(0) : 0;
  const double scale = reduction == LossReduction::Mean ? (batch > 0 ? 1.0 / batch : 0.0) : 1.0;
  const CrossEntropyForward forward = cross_entropy_kernel(logits.detach(), labels, scale);
  return autograd::record_op("cross_entropy", forward.loss, {logits},
                             [probs = forward.probs, labels = labels.contiguous(), scale](const Tensor& g) {
                               // d/dlogits = (softmax - onehot(label)) * scale * g, g read by the
                               // kernel: no host read inside a step (Note [Host reads]).
                               return std::vector<Tensor>{
                                   cross_entropy_backward_kernel(probs, labels, scale, g.to(probs.dtype()))};
                             });
}

Tensor mse_loss(const Tensor& prediction, const Tensor& target, LossReduction reduction) {
  VEIL_CHECK(prediction.shape() == target.shape())
      << "mse_loss: prediction " << prediction.shape() << " and target " << target.shape() << " differ";
  const Tensor diff = sub(prediction, target);
  const Tensor total = sum(mul(diff, diff));
  if (reduction == LossReduction::Sum) return total;
  return mul_scalar(total, prediction.numel() > 0 ? 1.0 / static_cast<double>(prediction.numel()) : 0.0);
}

}  // namespace veil
