#include "veil/layers/losses.h"

#include <cmath>

#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"

namespace veil {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, LossReduction reduction) {
  require_cpu(logits, "cross_entropy");
  VEIL_CHECK(logits.dim() == 2) << "cross_entropy expects logits [B, K], got " << logits.shape();
  VEIL_CHECK(labels.dtype() == DType::Int64 && labels.dim() == 1 && labels.size(0) == logits.size(0))
      << "cross_entropy expects int64 labels [" << logits.size(0) << "], got " << labels.dtype() << " "
      << labels.shape();
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  const Tensor x = logits.detach().contiguous();
  const Tensor y = labels.contiguous();
  const std::int64_t* py = y.data<std::int64_t>();
  for (std::int64_t i = 0; i < batch; ++i)
    VEIL_CHECK(py[i] >= 0 && py[i] < classes) << "cross_entropy: label " << py[i] << " of example " << i
                                              << " is outside [0, " << classes << ")";
  // Fused log-softmax + NLL: keeps the softmax for a one-pass backward.
  Tensor probs = Tensor::empty(x.shape(), x.dtype());
  double total = 0.0;
  dispatch_floating(x.dtype(), "cross_entropy", [&]<typename T>() {
    const T* px = x.data<T>();
    T* pp = probs.data<T>();
    for (std::int64_t i = 0; i < batch; ++i) {
      const T* row = px + i * classes;
      T m = row[0];
      for (std::int64_t k = 1; k < classes; ++k) m = std::max(m, row[k]);
      double z = 0.0;
      for (std::int64_t k = 0; k < classes; ++k) z += std::exp(static_cast<double>(row[k] - m));
      for (std::int64_t k = 0; k < classes; ++k) pp[i * classes + k] = static_cast<T>(std::exp(row[k] - m) / z);
      total += std::log(z) + m - row[py[i]];
    }
  });
  const double scale = reduction == LossReduction::Mean ? (batch > 0 ? 1.0 / batch : 0.0) : 1.0;
  Tensor out = Tensor::scalar(total * scale, x.dtype());
  return autograd::record_op("cross_entropy", out, {logits}, [probs, y, scale](const Tensor& g) {
    // d/dlogits = (softmax - onehot(label)) * scale * g
    Tensor grad = probs.clone();
    const std::int64_t batch = grad.size(0), classes = grad.size(1);
    const std::int64_t* py = y.data<std::int64_t>();
    const double factor = g.item() * scale;
    dispatch_floating(grad.dtype(), "cross_entropy backward", [&]<typename T>() {
      T* pg = grad.data<T>();
      for (std::int64_t i = 0; i < batch; ++i) pg[i * classes + py[i]] -= T(1);
      for (std::int64_t j = 0; j < grad.numel(); ++j) pg[j] *= static_cast<T>(factor);
    });
    return std::vector<Tensor>{grad};
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
