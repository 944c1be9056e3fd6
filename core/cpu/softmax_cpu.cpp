// CPU softmax rows and the fused cross-entropy.
#include <algorithm>
#include <cmath>

#include "veil/core/error.h"
#include "veil/core/parallel.h"
#include "veil/core/softmax_kernels.h"

namespace veil {
namespace {

// Runs fn(row_in, row_out, n) over the rows of contiguous [R, N] tensors.
template <typename Fn>
void for_each_row(const Tensor& x, const Tensor& out, const Fn& fn) {
  const std::int64_t n = x.dim() == 0 ? 1 : x.shape().back();
  const std::int64_t rows = n == 0 ? 0 : x.numel() / n;
  dispatch_floating(x.dtype(), "softmax", [&]<typename T>() {
    const T* in = x.data<T>();
    T* po = out.data<T>();
    parallel_for(rows, 64, [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t r = r0; r < r1; ++r) fn(in + r * n, po + r * n, n);
    });
  });
}

template <typename T>
T row_max(const T* x, std::int64_t n) {
  return *std::max_element(x, x + n);
}

void cpu_softmax(const Tensor& x, const Tensor& out) {
  for_each_row(x, out, [](const auto* x, auto* y, std::int64_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(x)>>;
    const T m = row_max(x, n);
    T total = 0;
    for (std::int64_t i = 0; i < n; ++i) total += (y[i] = std::exp(x[i] - m));
    for (std::int64_t i = 0; i < n; ++i) y[i] /= total;
  });
}

void cpu_log_softmax(const Tensor& x, const Tensor& out) {
  for_each_row(x, out, [](const auto* x, auto* y, std::int64_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(x)>>;
    const T m = row_max(x, n);
    T total = 0;
    for (std::int64_t i = 0; i < n; ++i) total += std::exp(x[i] - m);
    // (x - m) - log(total), not x - (m + log(total)): x - m is exact, while
    // rounding m + log(total) near |x| = 1000 would cost float32 ~3e-5.
    const T log_total = std::log(total);
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_total;
  });
}

// Fused log-softmax + NLL: keeps the softmax for a one-pass backward.
void cpu_cross_entropy(const Tensor& logits, const Tensor& labels, double scale, const Tensor& probs,
                       const Tensor& loss) {
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  const std::int64_t* py = labels.data<std::int64_t>();  // in range: cross_entropy_kernel checked
  double total = 0.0;
  dispatch_floating(logits.dtype(), "cross_entropy", [&]<typename T>() {
    const T* px = logits.data<T>();
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
    *loss.data<T>() = static_cast<T>(total * scale);
  });
}

void cpu_cross_entropy_backward(const Tensor& probs, const Tensor& labels, double factor, const Tensor& upstream,
                                const Tensor& grad) {
  const std::int64_t batch = probs.size(0), classes = probs.size(1);
  const std::int64_t* py = labels.data<std::int64_t>();
  dispatch_floating(grad.dtype(), "cross_entropy backward", [&]<typename T>() {
    const T* pp = probs.data<T>();
    T* pg = grad.data<T>();
    // factor * upstream in T, as the CUDA kernel forms it.
    const T f = upstream.defined() ? static_cast<T>(factor) * *upstream.data<T>() : static_cast<T>(factor);
    std::copy(pp, pp + probs.numel(), pg);
    for (std::int64_t i = 0; i < batch; ++i) pg[i * classes + py[i]] -= T(1);
    for (std::int64_t j = 0; j < grad.numel(); ++j) pg[j] *= f;
  });
}

}  // namespace

const SoftmaxKernels& cpu_softmax_kernels() {
  static const SoftmaxKernels kernels{cpu_softmax, cpu_log_softmax, cpu_cross_entropy, cpu_cross_entropy_backward};
  return kernels;
}

}  // namespace veil
