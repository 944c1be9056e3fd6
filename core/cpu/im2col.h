#pragma once
// im2col / col2im for one image, on raw CPU memory (NCHW, one sample).
// cols is [C*kh*kw, out_h*out_w], rows ordered (c, ki, kj); out-of-image
// taps read as zero (im2col) and are dropped (col2im, which accumulates).
#include <cstdint>

#include "veil/core/ops.h"

namespace veil::cpu {

template <typename T>
void im2col_image(const T* image, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* cols);

template <typename T>
void col2im_image(const T* cols, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* image);

}  // namespace veil::cpu
