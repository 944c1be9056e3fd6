#pragma once
// Optimizer updates on one parameter (Note [Kernel tables]), with the rules
// of PyTorch's torch.optim. All tensors contiguous, of one floating dtype,
// one shape and one device; param and the state buffers are updated in place.
#include "veil/core/tensor.h"

namespace veil {

// SGD, with d = grad + weight_decay * param:
//   momentum == 0:  param -= lr * d                      (buffer unused, may be undefined)
//   otherwise:      buf = first ? d : momentum * buf + (1 - dampening) * d
//                   param -= lr * (nesterov ? d + momentum * buf : buf)
// The arithmetic is in the parameter's dtype.
struct SgdStep {
  double lr = 0;
  double weight_decay = 0;
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  bool first = false;  // the buffer holds nothing yet (PyTorch: it becomes d)
};

// Adam / AdamW at step t, bias1 = 1 - beta1^t, bias2 = 1 - beta2^t, in double:
//   decoupled (AdamW): param -= lr * weight_decay * param,  d = grad
//   otherwise:         d = grad + weight_decay * param
//   m = beta1 m + (1 - beta1) d,  v = beta2 v + (1 - beta2) d^2
//   param -= (lr / bias1) * m / (sqrt(v / bias2) + eps)
struct AdamStep {
  double lr = 0;
  double beta1 = 0;
  double beta2 = 0;
  double eps = 0;
  double weight_decay = 0;
  bool decoupled_weight_decay = false;
  double bias1 = 1;
  double bias2 = 1;
};

struct OptimizerKernels {
  void (*sgd)(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step) = nullptr;
  void (*adam)(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamStep& step) =
      nullptr;
};

// The kernels for a device; fails by name on a device without them.
const OptimizerKernels& optimizer_kernels(Device device);

// Conveniences over the table, checking the operands (no autograd recording).
void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step);
void adam_step_(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamStep& step);

}  // namespace veil
