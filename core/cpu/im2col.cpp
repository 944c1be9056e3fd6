#include "veil/core/cpu/im2col.h"

#include <algorithm>
#include <type_traits>

namespace veil::cpu {

template <typename T>
void im2col_image(const T* image, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* cols) {
  const std::int64_t oh = g.out_h(height), ow = g.out_w(width);
  for (std::int64_t c = 0; c < channels; ++c) {
    const T* plane = image + c * height * width;
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        T* row = cols + ((c * g.kernel_h + ki) * g.kernel_w + kj) * oh * ow;
        for (std::int64_t y = 0; y < oh; ++y) {
          const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
          T* out = row + y * ow;
          if (iy < 0 || iy >= height) {
            std::fill(out, out + ow, T(0));
            continue;
          }
          const T* in_row = plane + iy * width;
          const std::int64_t x_offset = kj * g.dilation_w - g.pad_w;
          if (g.stride_w == 1) {
            // Valid x range where 0 <= x + x_offset < width.
            const std::int64_t lo = std::clamp<std::int64_t>(-x_offset, 0, ow);
            const std::int64_t hi = std::clamp<std::int64_t>(width - x_offset, lo, ow);
            std::fill(out, out + lo, T(0));
            std::copy(in_row + lo + x_offset, in_row + hi + x_offset, out + lo);
            std::fill(out + hi, out + ow, T(0));
          } else {
            for (std::int64_t x = 0; x < ow; ++x) {
              const std::int64_t ix = x * g.stride_w + x_offset;
              out[x] = (ix >= 0 && ix < width) ? in_row[ix] : T(0);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void col2im_image(const T* cols, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* image) {
  const std::int64_t oh = g.out_h(height), ow = g.out_w(width);
  std::fill(image, image + channels * height * width, T(0));
  for (std::int64_t c = 0; c < channels; ++c) {
    T* plane = image + c * height * width;
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const T* row = cols + ((c * g.kernel_h + ki) * g.kernel_w + kj) * oh * ow;
        for (std::int64_t y = 0; y < oh; ++y) {
          const std::int64_t iy = y * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (iy < 0 || iy >= height) continue;
          T* out_row = plane + iy * width;
          const T* in = row + y * ow;
          for (std::int64_t x = 0; x < ow; ++x) {
            const std::int64_t ix = x * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (ix >= 0 && ix < width) out_row[ix] += in[x];
          }
        }
      }
    }
  }
}

std::int64_t padded_size(std::int64_t channels, std::int64_t height, std::int64_t width, const Conv2dGeometry& g) {
  return channels * (height + 2 * g.pad_h) * (width + 2 * g.pad_w);
}

namespace {

// Visits every (row entry, padded pixel) pair of the row layout:
// fn(entry pointer offset, padded offset) in row-major order of the rows.
template <typename Fn>
void for_each_patch_entry(std::int64_t channels, std::int64_t height, std::int64_t width, const Conv2dGeometry& g,
                          const Fn& fn) {
  const std::int64_t oh = g.out_h(height), ow = g.out_w(width);
  const std::int64_t hp = height + 2 * g.pad_h, wp = width + 2 * g.pad_w;
  std::int64_t entry = 0;
  for (std::int64_t oy = 0; oy < oh; ++oy)
    for (std::int64_t ox = 0; ox < ow; ++ox)
      for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
          const std::int64_t base = (c * hp + oy * g.stride_h + ki * g.dilation_h) * wp + ox * g.stride_w;
          fn(entry, base);
          entry += g.kernel_w;
        }
}

// Calls fn(width) with the kernel width as a compile-time constant for the
// common widths (so a patch row becomes a few vector moves), or as a plain
// integer otherwise.
template <typename Fn>
void with_kernel_width(std::int64_t kw, const Fn& fn) {
  switch (kw) {
    case 1: return fn(std::integral_constant<std::int64_t, 1>{});
    case 2: return fn(std::integral_constant<std::int64_t, 2>{});
    case 3: return fn(std::integral_constant<std::int64_t, 3>{});
    case 4: return fn(std::integral_constant<std::int64_t, 4>{});
    case 5: return fn(std::integral_constant<std::int64_t, 5>{});
    case 8: return fn(std::integral_constant<std::int64_t, 8>{});
    default: return fn(kw);
  }
}

}  // namespace

template <typename T>
void im2row_image(const T* image, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* rows, T* padded) {
  const std::int64_t hp = height + 2 * g.pad_h, wp = width + 2 * g.pad_w;
  const T* source = image;
  if (g.pad_h || g.pad_w) {
    std::fill(padded, padded + channels * hp * wp, T(0));
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t y = 0; y < height; ++y)
        std::copy(image + (c * height + y) * width, image + (c * height + y + 1) * width,
                  padded + (c * hp + y + g.pad_h) * wp + g.pad_w);
    source = padded;
  }
  const std::int64_t dw = g.dilation_w;
  with_kernel_width(g.kernel_w, [&](auto kw) {
    for_each_patch_entry(channels, height, width, g, [&](std::int64_t entry, std::int64_t base) {
      const T* src = source + base;
      T* out = rows + entry;
      if (dw == 1)
        for (std::int64_t kj = 0; kj < kw; ++kj) out[kj] = src[kj];
      else
        for (std::int64_t kj = 0; kj < kw; ++kj) out[kj] = src[kj * dw];
    });
  });
}

template <typename T>
void row2im_image(const T* rows, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* image, T* padded) {
  const std::int64_t hp = height + 2 * g.pad_h, wp = width + 2 * g.pad_w;
  const bool pad = g.pad_h || g.pad_w;
  T* target = pad ? padded : image;
  std::fill(target, target + channels * hp * wp, T(0));
  const std::int64_t dw = g.dilation_w;
  with_kernel_width(g.kernel_w, [&](auto kw) {
    for_each_patch_entry(channels, height, width, g, [&](std::int64_t entry, std::int64_t base) {
      T* dst = target + base;
      const T* in = rows + entry;
      for (std::int64_t kj = 0; kj < kw; ++kj) dst[kj * dw] += in[kj];
    });
  });
  if (!pad) return;
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t y = 0; y < height; ++y)
      std::copy(padded + (c * hp + y + g.pad_h) * wp + g.pad_w, padded + (c * hp + y + g.pad_h) * wp + g.pad_w + width,
                image + (c * height + y) * width);
}

template void im2col_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*);
template void im2col_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*);
template void col2im_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*);
template void col2im_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*);

template void im2row_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*,
                                  float*);
template void im2row_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*, double*);
template void row2im_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*,
                                  float*);
template void row2im_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*, double*);

}  // namespace veil::cpu
