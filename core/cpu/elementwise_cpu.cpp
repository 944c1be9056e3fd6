// CPU loops for the element-wise functors (Note [One functor, two loops]).
#include "veil/core/cpu/strided_loop.h"
#include "veil/core/elementwise.h"

namespace veil {
namespace {

template <typename T, typename F>
void unary_loop(const F& f, const Tensor& in, const Tensor& out) {
  const T* x = static_cast<const T*>(in.storage()->data());
  T* y = static_cast<T*>(out.storage()->data());
  if (in.is_contiguous() && out.is_contiguous()) {
    const T* xs = x + in.offset();
    T* ys = y + out.offset();
    parallel_for(in.numel(), 1 << 14, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) ys[i] = f(xs[i]);
    });
    return;
  }
  cpu::for_each_row<2>(out.shape(), {out.strides(), in.strides()}, {out.offset(), in.offset()},
                       [&](const std::array<std::int64_t, 2>& o, std::int64_t n, const std::array<std::int64_t, 2>& s) {
                         for (std::int64_t i = 0; i < n; ++i) y[o[0] + i * s[0]] = f(x[o[1] + i * s[1]]);
                       });
}

template <typename T, typename F>
void binary_loop(const F& f, const Tensor& a, const Tensor& b, const Tensor& out) {
  const T* pa = static_cast<const T*>(a.storage()->data());
  const T* pb = static_cast<const T*>(b.storage()->data());
  T* po = static_cast<T*>(out.storage()->data());
  if (a.is_contiguous() && b.is_contiguous() && out.is_contiguous()) {
    const T* as = pa + a.offset();
    const T* bs = pb + b.offset();
    T* os = po + out.offset();
    parallel_for(out.numel(), 1 << 14, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) os[i] = f(as[i], bs[i]);
    });
    return;
  }
  cpu::for_each_row<3>(out.shape(), {out.strides(), a.strides(), b.strides()}, {out.offset(), a.offset(), b.offset()},
                       [&](const std::array<std::int64_t, 3>& o, std::int64_t n, const std::array<std::int64_t, 3>& s) {
                         if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                           for (std::int64_t i = 0; i < n; ++i) po[o[0] + i] = f(pa[o[1] + i], pb[o[2] + i]);
                         } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                           const T bv = pb[o[2]];
                           for (std::int64_t i = 0; i < n; ++i) po[o[0] + i] = f(pa[o[1] + i], bv);
                         } else {
                           for (std::int64_t i = 0; i < n; ++i)
                             po[o[0] + i * s[0]] = f(pa[o[1] + i * s[1]], pb[o[2] + i * s[2]]);
                         }
                       });
}

void cpu_unary(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) {
  dispatch_all(out.dtype(), "element-wise op", [&]<typename T>() {
    visit_unary(kind, scalar, [&](const auto& f) { unary_loop<T>(f, in, out); });
  });
}

void cpu_binary(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(out.dtype(), "element-wise op", [&]<typename T>() {
    visit_binary(kind, scalar, [&](const auto& f) { binary_loop<T>(f, a, b, out); });
  });
}

}  // namespace

const ElementwiseKernels& cpu_elementwise_kernels() {
  static const ElementwiseKernels kernels{cpu_unary, cpu_binary};
  return kernels;
}

}  // namespace veil
