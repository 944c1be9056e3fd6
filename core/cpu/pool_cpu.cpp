// CPU pooling: max (values, indices, backward) and average, over planes.
#include <algorithm>
#include <limits>
#include <vector>

#include "veil/core/parallel.h"
#include "veil/core/pool_kernels.h"

namespace veil {
namespace {

struct PoolShape {
  std::int64_t planes, height, width, out_h, out_w;
};

// Calls visit(output_index, input_index) for every in-image tap of plane
// p, output by output, taps in row-major order (both indices are flat over
// the whole tensor).
template <typename Visit>
void for_each_tap(const PoolShape& s, const Conv2dGeometry& g, std::int64_t p, const Visit& visit) {
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
}

// Each output's maximum and its flat index within the plane (-1 where a
// window sees only padding); ties keep the first tap in row-major order.
template <typename T>
void max_pool_with_indices(const T* px, const PoolShape& s, const Conv2dGeometry& g, T* values,
                           std::int64_t* indices) {
  parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t first = p * s.out_h * s.out_w, count = s.out_h * s.out_w;
      std::fill(values + first, values + first + count, -std::numeric_limits<T>::infinity());
      std::fill(indices + first, indices + first + count, std::int64_t{-1});
      for_each_tap(s, g, p, [&](std::int64_t o, std::int64_t i) {
        if (px[i] > values[o] || indices[o] < 0) {
          values[o] = px[i];
          indices[o] = i - p * s.height * s.width;
        }
      });
    }
  });
}

// The maxima alone for windows inside the image (no padding, no dilation):
// output columns innermost, so the max vectorises.
template <typename T>
void max_pool_values_unpadded(const T* px, const PoolShape& s, const Conv2dGeometry& g, T* values) {
  parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const T* __restrict plane = px + p * s.height * s.width;
      for (std::int64_t y = 0; y < s.out_h; ++y) {
        T* __restrict out = values + (p * s.out_h + y) * s.out_w;
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
          for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
            const T* __restrict in = plane + (y * g.stride_h + ki) * s.width + kj;
            if (ki == 0 && kj == 0) {
              for (std::int64_t xo = 0; xo < s.out_w; ++xo) out[xo] = in[xo * g.stride_w];
            } else {
              for (std::int64_t xo = 0; xo < s.out_w; ++xo) out[xo] = std::max(out[xo], in[xo * g.stride_w]);
            }
          }
      }
    }
  });
}

// The indices of max_pool_with_indices for unpadded windows, branch-free:
// output columns innermost with selects instead of jumps (a data-dependent
// branch per tap mispredicts half the time).
template <typename T>
void max_pool_indices_unpadded(const T* px, const PoolShape& s, const Conv2dGeometry& g, std::int64_t* indices) {
  parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
    std::vector<T> best_buffer(s.out_w);
    std::vector<std::int32_t> index_buffer(s.out_w);
    T* __restrict best = best_buffer.data();
    std::int32_t* __restrict index = index_buffer.data();
    for (std::int64_t p = p0; p < p1; ++p) {
      const T* __restrict plane = px + p * s.height * s.width;
      for (std::int64_t y = 0; y < s.out_h; ++y) {
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
          for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
            const auto row = static_cast<std::int32_t>((y * g.stride_h + ki) * s.width + kj);
            const auto stride = static_cast<std::int32_t>(g.stride_w);
            const T* __restrict in = plane + row;
            if (ki == 0 && kj == 0) {
              for (std::int32_t xo = 0; xo < s.out_w; ++xo) {
                best[xo] = in[xo * stride];
                index[xo] = row + xo * stride;
              }
              continue;
            }
            for (std::int32_t xo = 0; xo < s.out_w; ++xo) {
              const T v = in[xo * stride];
              const bool greater = v > best[xo];
              best[xo] = greater ? v : best[xo];
              index[xo] = greater ? row + xo * stride : index[xo];
            }
          }
        std::int64_t* out = indices + (p * s.out_h + y) * s.out_w;
        for (std::int64_t xo = 0; xo < s.out_w; ++xo) out[xo] = index[xo];
      }
    }
  });
}

// Note [Flat stride-1 pooling]
// With stride 1 and no padding, output (y, x) reads plane[f + ki*W + kj] for
// f = y*W + x. Treating f as one flat index over the plane (and ignoring the
// W - out_w columns past each row's end) turns every tap into one long
// contiguous loop, which vectorises far better than rows of a dozen outputs.
template <typename T>
std::int64_t flat_extent(const PoolShape& s) {
  return (s.out_h - 1) * s.width + s.out_w;
}

// Maxima and their indices in one pass: a tap replaces the running maximum
// only when strictly greater (std::max's rule), so ties keep the first tap
// in row-major order, and backward only scatters.
template <typename T>
void max_pool_flat(const T* px, const PoolShape& s, const Conv2dGeometry& g, T* values, std::int64_t* indices) {
  const std::int64_t extent = flat_extent<T>(s);
  parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
    std::vector<T> flat(extent);
    std::vector<std::int32_t> flat_index(extent);
    T* __restrict m = flat.data();
    std::int32_t* __restrict where = flat_index.data();
    for (std::int64_t p = p0; p < p1; ++p) {
      const T* __restrict plane = px + p * s.height * s.width;
      for (std::int64_t f = 0; f < extent; ++f) {
        m[f] = plane[f];
        where[f] = static_cast<std::int32_t>(f);
      }
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
        for (std::int64_t kj = (ki == 0 ? 1 : 0); kj < g.kernel_w; ++kj) {
          const std::int64_t offset = ki * s.width + kj;
          const T* __restrict in = plane + offset;
          for (std::int64_t f = 0; f < extent; ++f) {
            const bool greater = m[f] < in[f];
            m[f] = greater ? in[f] : m[f];
            where[f] = greater ? static_cast<std::int32_t>(f + offset) : where[f];
          }
        }
      for (std::int64_t y = 0; y < s.out_h; ++y) {
        const std::int64_t o = (p * s.out_h + y) * s.out_w;
        std::copy(m + y * s.width, m + y * s.width + s.out_w, values + o);
        std::copy(where + y * s.width, where + y * s.width + s.out_w, indices + o);
      }
    }
  });
}

PoolShape pool_shape(const Tensor& x, const Tensor& out) {
  return {x.size(0) * x.size(1), x.size(2), x.size(3), out.size(2), out.size(3)};
}

bool is_unpadded(const Conv2dGeometry& g) {
  return g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1;
}

bool is_flat(const Conv2dGeometry& g) { return is_unpadded(g) && g.stride_h == 1 && g.stride_w == 1; }

// Flat windows (stride 1, the usual layers) keep their indices on the way
// (Note [Flat stride-1 pooling]); other unpadded windows compute the maxima
// alone and backward finds the indices again, so their forward stays
// vectorised.
Tensor cpu_max_pool2d(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  const PoolShape s = pool_shape(x, out);
  Tensor argmax_index;
  dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    if (is_flat(g)) {
      argmax_index = Tensor::empty(out.shape(), DType::Int64);
      max_pool_flat(x.data<T>(), s, g, out.data<T>(), argmax_index.data<std::int64_t>());
    } else if (is_unpadded(g)) {
      max_pool_values_unpadded(x.data<T>(), s, g, out.data<T>());
    } else {
      argmax_index = Tensor::empty(out.shape(), DType::Int64);
      max_pool_with_indices(x.data<T>(), s, g, out.data<T>(), argmax_index.data<std::int64_t>());
    }
  });
  return argmax_index;
}

void cpu_max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& argmax_index, const Tensor& gc,
                             const Conv2dGeometry& g, const Tensor& dx) {
  const PoolShape s = pool_shape(x, y);
  Tensor indices = argmax_index;
  if (!indices.defined()) {
    indices = Tensor::empty(gc.shape(), DType::Int64);
    dispatch_floating(x.dtype(), "max_pool2d backward", [&]<typename T>() {
      max_pool_indices_unpadded<T>(x.data<T>(), s, g, indices.data<std::int64_t>());
    });
  }
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(gc.dtype(), "max_pool2d backward", [&]<typename T>() {
    const T* pg = gc.data<T>();
    T* pd = dx.data<T>();
    const std::int64_t per_plane = s.out_h * s.out_w;
    parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
      std::fill(pd + p0 * s.height * s.width, pd + p1 * s.height * s.width, T(0));
      for (std::int64_t p = p0; p < p1; ++p)
        for (std::int64_t o = p * per_plane; o < (p + 1) * per_plane; ++o)
          if (pi[o] >= 0) pd[p * s.height * s.width + pi[o]] += pg[o];  // -1: window saw only padding
    });
  });
}

void cpu_avg_pool2d(const Tensor& x, const Conv2dGeometry& g, const Tensor& out) {
  const PoolShape s = pool_shape(x, out);
  const double scale = 1.0 / static_cast<double>(g.kernel_h * g.kernel_w);
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::fill(po, po + out.numel(), T(0));
    parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p)
        for_each_tap(s, g, p, [&](std::int64_t o, std::int64_t i) { po[o] += static_cast<T>(scale) * px[i]; });
    });
  });
}

void cpu_avg_pool2d_backward(const Tensor& gc, const Conv2dGeometry& g, const Tensor& dx) {
  const PoolShape s = pool_shape(dx, gc);
  const double scale = 1.0 / static_cast<double>(g.kernel_h * g.kernel_w);
  dispatch_floating(gc.dtype(), "avg_pool2d backward", [&]<typename T>() {
    const T* pg = gc.data<T>();
    T* pd = dx.data<T>();
    std::fill(pd, pd + dx.numel(), T(0));
    parallel_for(s.planes, 4, [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p)
        for_each_tap(s, g, p, [&](std::int64_t o, std::int64_t i) { pd[i] += static_cast<T>(scale) * pg[o]; });
    });
  });
}

}  // namespace

const PoolKernels& cpu_pool_kernels() {
  static const PoolKernels kernels{cpu_max_pool2d, cpu_max_pool2d_backward, cpu_avg_pool2d, cpu_avg_pool2d_backward};
  return kernels;
}

}  // namespace veil
