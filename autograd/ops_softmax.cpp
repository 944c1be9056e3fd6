// softmax and log_softmax over one dimension (max-shifted for stability).
#include <algorithm>
#include <cmath>

#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"

namespace veil {

namespace {

// Runs fn(row_pointer_in, row_pointer_out, n) over each row along `dim`
// after moving dim last; returns the result in the input's layout.
template <typename Fn>
Tensor along_last(const Tensor& a, int dim, const Fn& fn) {
  const int d = normalize_dim(dim, a.dim());
  const int last = a.dim() - 1;
  const Tensor moved = make_view(a, a.shape(), a.strides(), a.offset()).transpose(d, last).contiguous();
  Tensor out = Tensor::empty(moved.shape(), a.dtype());
  const std::int64_t n = a.dim() == 0 ? 1 : a.shape()[d];
  const std::int64_t rows = n == 0 ? 0 : moved.numel() / n;
  dispatch_floating(a.dtype(), "softmax", [&]<typename T>() {
    const T* in = moved.data<T>();
    T* po = out.data<T>();
    parallel_for(rows, 64, [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t r = r0; r < r1; ++r) fn(in + r * n, po + r * n, n);
    });
  });
  return out.transpose(d, last).contiguous();
}

template <typename T>
T row_max(const T* x, std::int64_t n) {
  return *std::max_element(x, x + n);
}

}  // namespace

Tensor softmax(const Tensor& a, int dim) {
  require_cpu(a, "softmax");
  Tensor out = along_last(a, dim, [](const auto* x, auto* y, std::int64_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(x)>>;
    const T m = row_max(x, n);
    T total = 0;
    for (std::int64_t i = 0; i < n; ++i) total += (y[i] = std::exp(x[i] - m));
    for (std::int64_t i = 0; i < n; ++i) y[i] /= total;
  });
  return autograd::record_op("softmax", out, {a}, [y = out.detach(), dim](const Tensor& g) {
    // dx = y * (g - sum(g * y))
    return std::vector<Tensor>{mul(y, sub(g, sum(mul(g, y), {dim}, true)))};
  });
}

Tensor log_softmax(const Tensor& a, int dim) {
  require_cpu(a, "log_softmax");
  Tensor out = along_last(a, dim, [](const auto* x, auto* y, std::int64_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(x)>>;
    const T m = row_max(x, n);
    T total = 0;
    for (std::int64_t i = 0; i < n; ++i) total += std::exp(x[i] - m);
    // (x - m) - log(total), not x - (m + log(total)): x - m is exact, while
    // rounding m + log(total) near |x| = 1000 would cost float32 ~3e-5.
    const T log_total = std::log(total);
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_total;
  });
  return autograd::record_op("log_softmax", out, {a}, [y = out.detach(), dim](const Tensor& g) {
    // dx = g - softmax * sum(g)
    return std::vector<Tensor>{sub(g, mul(exp(y), sum(g, {dim}, true)))};
  });
}

}  // namespace veil
