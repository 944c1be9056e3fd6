// CUDA softmax rows and the fused cross-entropy: one thread per row, the
// CPU's loop and precision (core/cpu/softmax_cpu.cpp). Rows are class
// scores, short enough that a thread each keeps the GPU busy for any batch
// worth running there.
#include <cmath>

#include "veil/core/cuda/launch.h"
#include "veil/core/softmax_kernels.h"

namespace veil {
namespace {

std::int64_t row_length(const Tensor& x) { return x.dim() == 0 ? 1 : x.shape().back(); }

template <typename T>
__device__ T row_max(const T* x, std::int64_t n) {
  T m = x[0];
  for (std::int64_t i = 1; i < n; ++i)
    if (m < x[i]) m = x[i];  // std::max_element's rule: the first maximum, NaN kept only in front
  return m;
}

template <typename T>
void softmax_typed(const Tensor& x, const Tensor& out, bool log) {
  const std::int64_t n = row_length(x);
  const std::int64_t rows = n == 0 ? 0 : x.numel() / n;
  const T* in = x.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index(log ? "log_softmax" : "softmax", x.device(), rows, [=] __device__(std::int64_t r) {
    const T* xr = in + r * n;
    T* y = po + r * n;
    const T m = row_max(xr, n);
    T total = 0;
    if (log) {
      for (std::int64_t i = 0; i < n; ++i) total += exp(xr[i] - m);
      const T log_total = ::log(total);  // (x - m) - log(total): see the CPU kernel
      for (std::int64_t i = 0; i < n; ++i) y[i] = (xr[i] - m) - log_total;
    } else {
      for (std::int64_t i = 0; i < n; ++i) total += (y[i] = exp(xr[i] - m));
      for (std::int64_t i = 0; i < n; ++i) y[i] /= total;
    }
  });
}

void cuda_softmax(const Tensor& x, const Tensor& out) {
  dispatch_floating(x.dtype(), "softmax", [&]<typename T>() { softmax_typed<T>(x, out, false); });
}
void cuda_log_softmax(const Tensor& x, const Tensor& out) {
  dispatch_floating(x.dtype(), "log_softmax", [&]<typename T>() { softmax_typed<T>(x, out, true); });
}

// Per example: the probabilities and -log softmax[label] in double; then one
// thread adds the terms in example order, as the CPU does.
template <typename T>
void cross_entropy_typed(const Tensor& logits, const Tensor& labels, double scale, const Tensor& probs,
                         const Tensor& loss) {
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  const Tensor terms = Tensor::empty({batch}, DType::Float64, logits.device());
  const std::int64_t* py = labels.data<std::int64_t>();
  const T* px = logits.data<T>();
  T* pp = probs.data<T>();
  double* pt = terms.data<double>();
  cuda::for_each_index("cross_entropy", logits.device(), batch, [=] __device__(std::int64_t i) {
    const T* row = px + i * classes;
    const std::int64_t y = py[i];
    // A label out of range fails at the next host read (cross_entropy_kernel
    // checked it); meanwhile its term is NaN and nothing outside the row is read.
    const bool in_range = y >= 0 && y < classes;
    T m = row[0];
    for (std::int64_t k = 1; k < classes; ++k) m = m < row[k] ? row[k] : m;  // std::max's rule
    double z = 0.0;
    for (std::int64_t k = 0; k < classes; ++k) z += exp(static_cast<double>(row[k] - m));
    for (std::int64_t k = 0; k < classes; ++k) pp[i * classes + k] = static_cast<T>(exp(row[k] - m) / z);
    pt[i] = in_range ? ::log(z) + m - row[y] : static_cast<double>(NAN);
  });
  T* pl = loss.data<T>();
  cuda::for_each_index("cross_entropy total", logits.device(), 1, [=] __device__(std::int64_t) {
    double total = 0.0;
    for (std::int64_t i = 0; i < batch; ++i) total += pt[i];
    *pl = static_cast<T>(total * scale);
  });
}

void cuda_cross_entropy(const Tensor& logits, const Tensor& labels, double scale, const Tensor& probs,
                        const Tensor& loss) {
  dispatch_floating(logits.dtype(), "cross_entropy",
                    [&]<typename T>() { cross_entropy_typed<T>(logits, labels, scale, probs, loss); });
}

// The factor times the upstream gradient, read on the device (no host read).
template <typename T>
void cross_entropy_backward_typed(const Tensor& probs, const Tensor& labels, double factor, const Tensor& upstream,
                                  const Tensor& grad) {
  const std::int64_t classes = probs.size(1);
  const std::int64_t* py = labels.data<std::int64_t>();
  const T* pp = probs.data<T>();
  const T* pu = upstream.defined() ? upstream.data<T>() : nullptr;
  T* pg = grad.data<T>();
  const T f = static_cast<T>(factor);
  cuda::for_each_index("cross_entropy backward", grad.device(), grad.numel(), [=] __device__(std::int64_t e) {
    const T p = e % classes == py[e / classes] ? pp[e] - T(1) : pp[e];
    pg[e] = p * (pu != nullptr ? f * *pu : f);
  });
}

void cuda_cross_entropy_backward(const Tensor& probs, const Tensor& labels, double factor, const Tensor& upstream,
                                 const Tensor& grad) {
  dispatch_floating(grad.dtype(), "cross_entropy backward",
                    [&]<typename T>() { cross_entropy_backward_typed<T>(probs, labels, factor, upstream, grad); });
}

}  // namespace

const SoftmaxKernels& cuda_softmax_kernels() {
  static const SoftmaxKernels kernels{cuda_softmax, cuda_log_softmax, cuda_cross_entropy, cuda_cross_entropy_backward};
  return kernels;
}

}  // namespace veil
