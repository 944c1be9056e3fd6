// CUDA pooling: one thread per output in the forward passes, one per input
// pixel in the backward passes, which gather the outputs whose windows
// cover the pixel in output order (Note [Deterministic GPU sums] in
// core/cuda/launch.h). The forward max pooling always keeps its indices.
#include <limits>

#include "veil/core/cuda/launch.h"
#include "veil/core/pool_kernels.h"

namespace veil {
namespace {

struct PoolShape {
  std::int64_t planes, height, width, out_h, out_w;
};

PoolShape pool_shape(const Tensor& x, const Tensor& out) {
  return {x.size(0) * x.size(1), x.size(2), x.size(3), out.size(2), out.size(3)};
}

// Calls visit(output index within the plane) for every output whose window
// reads pixel (y, x), in output order.
template <typename Visit>
__device__ void for_each_covering_output(const PoolShape& s, const Conv2dGeometry& g, std::int64_t y, std::int64_t x,
                                         const Visit& visit) {
  for (std::int64_t ki = g.kernel_h - 1; ki >= 0; --ki) {  // the output row grows as ki falls
    const std::int64_t ty = y + g.pad_h - ki * g.dilation_h;
    if (ty < 0 || ty % g.stride_h != 0 || ty / g.stride_h >= s.out_h) continue;
    for (std::int64_t kj = g.kernel_w - 1; kj >= 0; --kj) {
      const std::int64_t tx = x + g.pad_w - kj * g.dilation_w;
      if (tx < 0 || tx % g.stride_w != 0 || tx / g.stride_w >= s.out_w) continue;
      visit((ty / g.stride_h) * s.out_w + tx / g.stride_w);
    }
  }
}

// Each output's maximum and its flat index within the plane (-1 where a
// window sees only padding); ties keep the first tap in row-major order.
template <typename T>
Tensor max_pool2d_typed(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  const PoolShape s = pool_shape(x, out);
  Tensor indices = Tensor::empty(out.shape(), DType::Int64, out.device());
  const T* px = x.data<T>();
  T* values = out.data<T>();
  std::int64_t* pi = indices.data<std::int64_t>();
  cuda::for_each_index("max_pool2d", x.device(), out.numel(), [=] __device__(std::int64_t o) {
    const std::int64_t p = o / (s.out_h * s.out_w), y = (o / s.out_w) % s.out_h, xo = o % s.out_w;
    const T* plane = px + p * s.height * s.width;
    T best = -std::numeric_limits<T>::infinity();
    std::int64_t index = -1;
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
      if (iy < 0 || iy >= s.height) continue;
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const std::int64_t ix = xo * g.stride_w - g.pad_w + kj * g.dilation_w;
        if (ix < 0 || ix >= s.width) continue;
        const T v = plane[iy * s.width + ix];
        if (v > best || index < 0) {
          best = v;
          index = iy * s.width + ix;
        }
      }
    }
    values[o] = best;
    pi[o] = index;
  });
  return indices;
}

template <typename T>
void max_pool2d_backward_typed(const Tensor& indices, const Tensor& grad, const Conv2dGeometry& g, const Tensor& dx) {
  const PoolShape s{dx.size(0) * dx.size(1), dx.size(2), dx.size(3), grad.size(2), grad.size(3)};
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pg = grad.data<T>();
  T* pd = dx.data<T>();
  cuda::for_each_index("max_pool2d backward", dx.device(), dx.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t plane_size = s.height * s.width, p = e / plane_size, pixel = e % plane_size;
    const std::int64_t first = p * s.out_h * s.out_w;
    T total = T(0);
    for_each_covering_output(s, g, pixel / s.width, pixel % s.width, [&](std::int64_t o) {
      if (pi[first + o] == pixel) total += pg[first + o];
    });
    pd[e] = total;
  });
}

template <typename T>
void avg_pool2d_typed(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  const PoolShape s = pool_shape(x, out);
  const T scale = static_cast<T>(1.0 / static_cast<double>(g.kernel_h * g.kernel_w));
  const T* px = x.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index("avg_pool2d", x.device(), out.numel(), [=] __device__(std::int64_t o) {
    const std::int64_t p = o / (s.out_h * s.out_w), y = (o / s.out_w) % s.out_h, xo = o % s.out_w;
    const T* plane = px + p * s.height * s.width;
    T total = T(0);
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
      if (iy < 0 || iy >= s.height) continue;
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const std::int64_t ix = xo * g.stride_w - g.pad_w + kj * g.dilation_w;
        if (ix >= 0 && ix < s.width) total += scale * plane[iy * s.width + ix];  // padding counts as zero
      }
    }
    po[o] = total;
  });
}

template <typename T>
void avg_pool2d_backward_typed(const Tensor& grad, const Conv2dGeometry& g, const Tensor& dx) {
  const PoolShape s{dx.size(0) * dx.size(1), dx.size(2), dx.size(3), grad.size(2), grad.size(3)};
  const T scale = static_cast<T>(1.0 / static_cast<double>(g.kernel_h * g.kernel_w));
  const T* pg = grad.data<T>();
  T* pd = dx.data<T>();
  cuda::for_each_index("avg_pool2d backward", dx.device(), dx.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t plane_size = s.height * s.width, p = e / plane_size, pixel = e % plane_size;
    const std::int64_t first = p * s.out_h * s.out_w;
    T total = T(0);
    for_each_covering_output(s, g, pixel / s.width, pixel % s.width,
                             [&](std::int64_t o) { total += scale * pg[first + o]; });
    pd[e] = total;
  });
}

Tensor cuda_max_pool2d(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  return dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() { return max_pool2d_typed<T>(x, g, out); });
}

void cuda_max_pool2d_backward(const Tensor& x, const Tensor& out, const Tensor& indices, const Tensor& grad,
                              const Conv2dGeometry& g, const Tensor& dx) {
  VEIL_ASSERT(indices.defined() && indices.device() == grad.device())
      << "CUDA max_pool2d backward needs the indices of the CUDA forward";
  dispatch_floating(grad.dtype(), "max_pool2d backward",
                    [&]<typename T>() { max_pool2d_backward_typed<T>(indices, grad, g, dx); });
}

void cuda_avg_pool2d(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() { avg_pool2d_typed<T>(x, g, out); });
}

void cuda_avg_pool2d_backward(const Tensor& grad, const Conv2dGeometry& g, const Tensor& dx) {
  dispatch_floating(grad.dtype(), "avg_pool2d backward",
                    [&]<typename T>() { avg_pool2d_backward_typed<T>(grad, g, dx); });
}

}  // namespace

const PoolKernels& cuda_pool_kernels() {
  static const PoolKernels kernels{cuda_max_pool2d, cuda_max_pool2d_backward, cuda_avg_pool2d,
                                   cuda_avg_pool2d_backward};
  return kernels;
}

}  // namespace veil
