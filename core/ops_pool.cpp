// max_pool2d and avg_pool2d over [B, C, H, W].
#include <limits>

#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/core/ops.h"
#include "veil/core/parallel.h"

namespace veil {

namespace {

struct PoolShape {
  std::int64_t planes, height, width, out_h, out_w;
};

PoolShape pool_shape(const Tensor& x, const Conv2dGeometry& g, const char* op) {
  VEIL_CHECK(x.dim() == 4) << op << " expects [B, C, H, W], got " << x.shape();
  VEIL_CHECK(g.pad_h * 2 <= g.kernel_h && g.pad_w * 2 <= g.kernel_w)
      << op << ": padding must be at most half the kernel size";
  return {x.size(0) * x.size(1), x.size(2), x.size(3), g.out_h(x.size(2)), g.out_w(x.size(3))};
}

}  // namespace

Tensor max_pool2d(const Tensor& x_in, const Conv2dGeometry& g) {
  require_cpu(x_in, "max_pool2d");
  const PoolShape s = pool_shape(x_in, g, "max_pool2d");
  const Tensor x = x_in.detach().contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), s.out_h, s.out_w}, x.dtype());
  // Flat index (within the plane) of each output's maximum, for backward.
  Tensor argmax_index = Tensor::empty(out.shape(), DType::Int64);
  dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::int64_t* pi = argmax_index.data<std::int64_t>();
    const bool unpadded = g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1;
    parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p) {
        const T* plane = px + p * s.height * s.width;
        if (unpadded) {
          // Every window lies inside the image: no bounds checks (the hot
          // path of the usual max-pool layers).
          for (std::int64_t y = 0; y < s.out_h; ++y)
            for (std::int64_t xo = 0; xo < s.out_w; ++xo) {
              std::int64_t best_index = y * g.stride_h * s.width + xo * g.stride_w;
              T best = plane[best_index];
              for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
                const std::int64_t row = (y * g.stride_h + ki) * s.width + xo * g.stride_w;
                for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
                  if (plane[row + kj] > best) {
                    best = plane[row + kj];
                    best_index = row + kj;
                  }
              }
              const std::int64_t o = (p * s.out_h + y) * s.out_w + xo;
              po[o] = best;
              pi[o] = best_index;
            }
          continue;
        }
        for (std::int64_t y = 0; y < s.out_h; ++y) {
          for (std::int64_t xo = 0; xo < s.out_w; ++xo) {
            T best = -std::numeric_limits<T>::infinity();
            std::int64_t best_index = -1;
            for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
              const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
              if (iy < 0 || iy >= s.height) continue;
              for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
                const std::int64_t ix = xo * g.stride_w - g.pad_w + kj * g.dilation_w;
                if (ix < 0 || ix >= s.width) continue;
                const T v = plane[iy * s.width + ix];
                if (v > best || best_index < 0) {
                  best = v;
                  best_index = iy * s.width + ix;
                }
              }
            }
            const std::int64_t o = (p * s.out_h + y) * s.out_w + xo;
            po[o] = best;
            pi[o] = best_index;
          }
        }
      }
    });
  });
  const Shape input_shape = x.shape();
  return autograd::record_op("max_pool2d", out, {x_in}, [argmax_index, input_shape, s](const Tensor& grad) {
    const Tensor g = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape, g.dtype());
    const std::int64_t* pi = argmax_index.data<std::int64_t>();
    dispatch_floating(g.dtype(), "max_pool2d backward", [&]<typename T>() {
      const T* pg = g.data<T>();
      T* pd = dx.data<T>();
      const std::int64_t per_plane = s.out_h * s.out_w;
      parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
        for (std::int64_t p = p0; p < p1; ++p)
          for (std::int64_t o = p * per_plane; o < (p + 1) * per_plane; ++o)
            if (pi[o] >= 0) pd[p * s.height * s.width + pi[o]] += pg[o];  // -1: window saw only padding
      });
    });
    return std::vector<Tensor>{dx};
  });
}

Tensor avg_pool2d(const Tensor& x_in, const Conv2dGeometry& g) {
  require_cpu(x_in, "avg_pool2d");
  const PoolShape s = pool_shape(x_in, g, "avg_pool2d");
  const Tensor x = x_in.detach().contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), s.out_h, s.out_w}, x.dtype());
  // Padding counts as zeros: every window divides by the full kernel size.
  const double scale = 1.0 / static_cast<double>(g.kernel_h * g.kernel_w);
  // Calls visit(output_index, input_index) for every in-image tap of a plane.
  auto for_each_tap = [g, s](std::int64_t p, const auto& visit) {
    for (std::int64_t y = 0; y < s.out_h; ++y)
      for (std::int64_t xo = 0; xo < s.out_w; ++xo)
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
          const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (iy < 0 || iy >= s.height) continue;
          for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
            const std::int64_t ix = xo * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (ix < 0 || ix >= s.width) continue;
            visit((p * s.out_h + y) * s.out_w + xo, p * s.height * s.width + iy * s.width + ix);
          }
        }
  };
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::fill(po, po + out.numel(), T(0));
    parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p)
        for_each_tap(p, [&](std::int64_t o, std::int64_t i) { po[o] += static_cast<T>(scale) * px[i]; });
    });
  });
  const Shape input_shape = x.shape();
  return autograd::record_op("avg_pool2d", out, {x_in}, [=](const Tensor& grad) {
    const Tensor gc = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape, gc.dtype());
    dispatch_floating(gc.dtype(), "avg_pool2d backward", [&]<typename T>() {
      const T* pg = gc.data<T>();
      T* pd = dx.data<T>();
      parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
        for (std::int64_t p = p0; p < p1; ++p)
          for_each_tap(p, [&](std::int64_t o, std::int64_t i) { pd[i] += static_cast<T>(scale) * pg[o]; });
      });
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace veil
