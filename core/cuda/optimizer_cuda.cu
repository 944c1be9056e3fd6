// CUDA optimizer updates (core/optimizer_kernels.h): one thread per element,
// each computing the CPU loop's body in its order and precision.
#include <cmath>

#include "veil/core/cuda/launch.h"
#include "veil/core/optimizer_kernels.h"

namespace veil {
namespace {

template <typename T>
void sgd_typed(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step) {
  T* w = param.data<T>();
  const T* g = grad.data<T>();
  const T lr = static_cast<T>(step.lr), wd = static_cast<T>(step.weight_decay);
  if (step.momentum == 0) {
    cuda::for_each_index("SGD", param.device(), param.numel(),
                         [=] __device__(std::int64_t i) { w[i] -= lr * (g[i] + wd * w[i]); });
    return;
  }
  const T mu = static_cast<T>(step.momentum), damp = static_cast<T>(1 - step.dampening);
  const bool first = step.first, nesterov = step.nesterov;
  T* buf = momentum.data<T>();
  cuda::for_each_index("SGD with momentum", param.device(), param.numel(), [=] __device__(std::int64_t i) {
    const T d = g[i] + wd * w[i];
    buf[i] = first ? d : mu * buf[i] + damp * d;
    w[i] -= lr * (nesterov ? d + mu * buf[i] : buf[i]);
  });
}

template <typename T>
void adam_typed(const Tensor& param, const Tensor& grad, const Tensor& m_state, const Tensor& v_state,
                const AdamStep& step) {
  T* w = param.data<T>();
  const T* g = grad.data<T>();
  T* m = m_state.data<T>();
  T* v = v_state.data<T>();
  const AdamStep s = step;
  const double step_size = step.lr / step.bias1;
  cuda::for_each_index("Adam", param.device(), param.numel(), [=] __device__(std::int64_t i) {
    double d = g[i];
    if (s.decoupled_weight_decay) w[i] -= static_cast<T>(s.lr * s.weight_decay * w[i]);
    else d += s.weight_decay * w[i];
    m[i] = static_cast<T>(s.beta1 * m[i] + (1 - s.beta1) * d);
    v[i] = static_cast<T>(s.beta2 * v[i] + (1 - s.beta2) * d * d);
    w[i] -= static_cast<T>(step_size * m[i] / (sqrt(v[i] / s.bias2) + s.eps));
  });
}

void cuda_sgd(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step) {
  dispatch_floating(param.dtype(), "SGD", [&]<typename T>() { sgd_typed<T>(param, grad, momentum, step); });
}

void cuda_adam(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamStep& step) {
  dispatch_floating(param.dtype(), "Adam", [&]<typename T>() { adam_typed<T>(param, grad, m, v, step); });
}

}  // namespace

const OptimizerKernels& cuda_optimizer_kernels() {
  static const OptimizerKernels kernels{cuda_sgd, cuda_adam};
  return kernels;
}

}  // namespace veil
