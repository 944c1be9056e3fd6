// CPU optimizer updates (core/optimizer_kernels.h): one sequential pass per
// parameter, in the order and precision of the formulas there.
#include <cmath>

#include "veil/core/optimizer_kernels.h"

namespace veil {
namespace {

void cpu_sgd(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step) {
  dispatch_floating(param.dtype(), "SGD", [&]<typename T>() {
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    const std::int64_t n = param.numel();
    const T lr = static_cast<T>(step.lr), wd = static_cast<T>(step.weight_decay);
    const T mu = static_cast<T>(step.momentum), damp = static_cast<T>(1 - step.dampening);
    if (step.momentum == 0) {
      for (std::int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
      return;
    }
    T* buf = momentum.data<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      const T d = g[i] + wd * w[i];
      buf[i] = step.first ? d : mu * buf[i] + damp * d;
      w[i] -= lr * (step.nesterov ? d + mu * buf[i] : buf[i]);
    }
  });
}

void cpu_adam(const Tensor& param, const Tensor& grad, const Tensor& m_state, const Tensor& v_state,
              const AdamStep& step) {
  dispatch_floating(param.dtype(), "Adam", [&]<typename T>() {
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* m = m_state.data<T>();
    T* v = v_state.data<T>();
    const double b1 = step.beta1, b2 = step.beta2, wd = step.weight_decay;
    const double step_size = step.lr / step.bias1;
    for (std::int64_t i = 0; i < param.numel(); ++i) {
      double d = g[i];
      if (step.decoupled_weight_decay) w[i] -= static_cast<T>(step.lr * wd * w[i]);
      else d += wd * w[i];
      m[i] = static_cast<T>(b1 * m[i] + (1 - b1) * d);
      v[i] = static_cast<T>(b2 * v[i] + (1 - b2) * d * d);
      w[i] -= static_cast<T>(step_size * m[i] / (std::sqrt(v[i] / step.bias2) + step.eps));
    }
  });
}

}  // namespace

const OptimizerKernels& cpu_optimizer_kernels() {
  static const OptimizerKernels kernels{cpu_sgd, cpu_adam};
  return kernels;
}

}  // namespace veil
