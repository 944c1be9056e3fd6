#include "veil/core/cpu/im2col.h"

#include <algorithm>

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

template void im2col_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*);
template void im2col_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*);
template void col2im_image<float>(const float*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&, float*);
template void col2im_image<double>(const double*, std::int64_t, std::int64_t, std::int64_t, const Conv2dGeometry&,
                                   double*);

}  // namespace veil::cpu
