// The CUDA im2row table (Note [Kernel tables]): one thread per written
// element. The adjoints (row2im, col2im) gather: each pixel sums the patch
// entries that read it, so no two threads write one pixel (Note
// [Deterministic GPU sums] in core/cuda/launch.h).
#include "veil/core/cuda/launch.h"
#include "veil/core/im2row.h"

namespace veil {
namespace {

struct ImageShape {
  std::int64_t batch, channels, height, width, out_h, out_w;
};

ImageShape image_shape(const Tensor& images, const Conv2dGeometry& g) {
  return {images.size(0), images.size(1), images.size(2), images.size(3), g.out_h(images.size(2)),
          g.out_w(images.size(3))};
}

// The pixel (flat within its channel plane) that tap (ki, kj) of output
// position (oy, ox) reads, or -1 outside the image.
__device__ std::int64_t tap_pixel(const ImageShape& s, const Conv2dGeometry& g, std::int64_t oy, std::int64_t ox,
                                  std::int64_t ki, std::int64_t kj) {
  const std::int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
  const std::int64_t ix = ox * g.stride_w - g.pad_w + kj * g.dilation_w;
  return iy >= 0 && iy < s.height && ix >= 0 && ix < s.width ? iy * s.width + ix : -1;
}

// Calls visit(oy, ox, ki, kj) for every tap that reads pixel (y, x), outputs
// in row-major order.
template <typename Visit>
__device__ void for_each_reader(const ImageShape& s, const Conv2dGeometry& g, std::int64_t y, std::int64_t x,
                                const Visit& visit) {
  for (std::int64_t ki = g.kernel_h - 1; ki >= 0; --ki) {  // oy grows as ki falls
    const std::int64_t ty = y + g.pad_h - ki * g.dilation_h;
    if (ty < 0 || ty % g.stride_h != 0 || ty / g.stride_h >= s.out_h) continue;
    for (std::int64_t kj = g.kernel_w - 1; kj >= 0; --kj) {
      const std::int64_t tx = x + g.pad_w - kj * g.dilation_w;
      if (tx < 0 || tx % g.stride_w != 0 || tx / g.stride_w >= s.out_w) continue;
      visit(ty / g.stride_h, tx / g.stride_w, ki, kj);
    }
  }
}

// Where entry `col` (ordered (c, ki, kj)) of output position p's patch sits:
// rows [B, L, patch] (im2row) or cols [B, patch, L] (im2col).
struct PatchLayout {
  bool rows;
  std::int64_t patch, positions;

  __device__ std::int64_t index(std::int64_t b, std::int64_t p, std::int64_t col) const {
    return rows ? (b * positions + p) * patch + col : (b * patch + col) * positions + p;
  }
};

PatchLayout patch_layout(bool rows, const ImageShape& s, const Conv2dGeometry& g) {
  return {rows, s.channels * g.kernel_h * g.kernel_w, s.out_h * s.out_w};
}

// im2row or im2col: every patch entry reads its pixel (0 outside the image).
template <typename T>
void unfold_typed(const char* name, bool rows, const Tensor& images, const Conv2dGeometry& g, const Tensor& out) {
  const ImageShape s = image_shape(images, g);
  const PatchLayout layout = patch_layout(rows, s, g);
  const T* px = images.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index(name, images.device(), out.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t col = rows ? e % layout.patch : (e / layout.positions) % layout.patch;
    const std::int64_t p = rows ? (e / layout.patch) % layout.positions : e % layout.positions;
    const std::int64_t b = e / (layout.patch * layout.positions);
    const std::int64_t kj = col % g.kernel_w, ki = (col / g.kernel_w) % g.kernel_h, c = col / (g.kernel_w * g.kernel_h);
    const std::int64_t pixel = tap_pixel(s, g, p / s.out_w, p % s.out_w, ki, kj);
    po[e] = pixel < 0 ? T(0) : px[(b * s.channels + c) * s.height * s.width + pixel];
  });
}

// row2im or col2im: each pixel sums the patch entries that read it.
template <typename T>
void fold_typed(const char* name, bool rows, const Tensor& patches, const Conv2dGeometry& g, const Tensor& images) {
  const ImageShape s = image_shape(images, g);
  const PatchLayout layout = patch_layout(rows, s, g);
  const T* pp = patches.data<T>();
  T* px = images.data<T>();
  cuda::for_each_index(name, images.device(), images.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t x = e % s.width, y = (e / s.width) % s.height, c = (e / (s.width * s.height)) % s.channels,
                       b = e / (s.width * s.height * s.channels);
    T total = T(0);
    for_each_reader(s, g, y, x, [&](std::int64_t oy, std::int64_t ox, std::int64_t ki, std::int64_t kj) {
      total += pp[layout.index(b, oy * s.out_w + ox, (c * g.kernel_h + ki) * g.kernel_w + kj)];
    });
    px[e] = total;
  });
}

template <typename T>
void transpose_samples_typed(const Tensor& in, const Tensor& out) {
  const std::int64_t a = in.size(1), c = in.size(2);
  const T* pi = in.data<T>();
  T* po = out.data<T>();
  // One thread per output element: writes coalesce, reads stride by c.
  cuda::for_each_index("transpose_samples", in.device(), out.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t x = e % a, y = (e / a) % c, i = e / (a * c);
    po[e] = pi[(i * a + x) * c + y];
  });
}

void cuda_im2row(const Tensor& images, const Conv2dGeometry& g, const Tensor& rows) {
  dispatch_floating(images.dtype(), "im2row", [&]<typename T>() { unfold_typed<T>("im2row", true, images, g, rows); });
}
void cuda_row2im(const Tensor& rows, const Conv2dGeometry& g, const Tensor& images) {
  dispatch_floating(rows.dtype(), "row2im", [&]<typename T>() { fold_typed<T>("row2im", true, rows, g, images); });
}
void cuda_im2col(const Tensor& images, const Conv2dGeometry& g, const Tensor& cols) {
  dispatch_floating(images.dtype(), "im2col", [&]<typename T>() { unfold_typed<T>("im2col", false, images, g, cols); });
}
void cuda_col2im(const Tensor& cols, const Conv2dGeometry& g, const Tensor& images) {
  dispatch_floating(cols.dtype(), "col2im", [&]<typename T>() { fold_typed<T>("col2im", false, cols, g, images); });
}
void cuda_transpose_samples(const Tensor& in, const Tensor& out) {
  dispatch_floating(in.dtype(), "transpose_samples", [&]<typename T>() { transpose_samples_typed<T>(in, out); });
}

}  // namespace

const Im2rowKernels& cuda_im2row_kernels() {
  static const Im2rowKernels kernels{cuda_im2row, cuda_row2im, cuda_im2col, cuda_col2im, cuda_transpose_samples};
  return kernels;
}

}  // namespace veil
