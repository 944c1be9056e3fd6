#pragma once
// im2col / col2im for one image, on raw CPU memory (NCHW, one sample).
// cols is [C*kh*kw, out_h*out_w], rows ordered (c, ki, kj); out-of-image
// taps read as zero (im2col) and are dropped (col2im, which accumulates).
#include <cstdint>

#include "veil/core/conv_geometry.h"

namespace veil::cpu {

template <typename T>
void im2col_image(const T* image, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* cols);

template <typename T>
void col2im_image(const T* cols, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* image);

// The row layout used by Conv2d: rows [L, C*kh*kw], row p the patch of
// output position p (columns ordered c, ki, kj) — im2col transposed, so that
// a whole batch is one GEMM [B*L, C*kh*kw] x W^T. `padded` is scratch of
// padded_size() elements (the image with its zero border).
std::int64_t padded_size(std::int64_t channels, std::int64_t height, std::int64_t width, const Conv2dGeometry& g);

template <typename T>
void im2row_image(const T* image, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* rows, T* padded);

// The adjoint of im2row_image: sums each patch entry back into its pixel.
template <typename T>
void row2im_image(const T* rows, std::int64_t channels, std::int64_t height, std::int64_t width,
                  const Conv2dGeometry& g, T* image, T* padded);

}  // namespace veil::cpu
