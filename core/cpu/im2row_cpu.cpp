// The CPU im2row table (Note [Kernel tables]): the per-image routines of
// core/cpu/im2col.h over a batch, one image per task.
#include <algorithm>
#include <vector>

#include "veil/core/cpu/im2col.h"
#include "veil/core/im2row.h"
#include "veil/core/parallel.h"

namespace veil {
namespace {

void cpu_im2row(const Tensor& images, const Conv2dGeometry& g, const Tensor& rows) {
  const std::int64_t batch = images.size(0), channels = images.size(1), height = images.size(2),
                     width = images.size(3);
  const std::int64_t image = channels * height * width, block = rows.size(1) * rows.size(2);
  const std::int64_t scratch = cpu::padded_size(channels, height, width, g);
  dispatch_floating(images.dtype(), "im2row", [&]<typename T>() {
    const T* px = images.data<T>();
    T* pr = rows.data<T>();
    parallel_for(batch, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<T> padded(scratch);
      for (std::int64_t i = i0; i < i1; ++i)
        cpu::im2row_image(px + i * image, channels, height, width, g, pr + i * block, padded.data());
    });
  });
}

void cpu_row2im(const Tensor& rows, const Conv2dGeometry& g, const Tensor& images) {
  const std::int64_t batch = images.size(0), channels = images.size(1), height = images.size(2),
                     width = images.size(3);
  const std::int64_t image = channels * height * width, block = rows.size(1) * rows.size(2);
  const std::int64_t scratch = cpu::padded_size(channels, height, width, g);
  dispatch_floating(images.dtype(), "row2im", [&]<typename T>() {
    const T* pr = rows.data<T>();
    T* px = images.data<T>();
    parallel_for(batch, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<T> padded(scratch);
      for (std::int64_t i = i0; i < i1; ++i)
        cpu::row2im_image(pr + i * block, channels, height, width, g, px + i * image, padded.data());
    });
  });
}

void cpu_im2col(const Tensor& images, const Conv2dGeometry& g, const Tensor& cols) {
  const std::int64_t batch = images.size(0), channels = images.size(1), height = images.size(2),
                     width = images.size(3);
  const std::int64_t image = channels * height * width, block = cols.size(1) * cols.size(2);
  dispatch_floating(images.dtype(), "im2col", [&]<typename T>() {
    const T* px = images.data<T>();
    T* po = cols.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) cpu::im2col_image(px + b * image, channels, height, width, g, po + b * block);
    });
  });
}

void cpu_col2im(const Tensor& cols, const Conv2dGeometry& g, const Tensor& images) {
  const std::int64_t batch = images.size(0), channels = images.size(1), height = images.size(2),
                     width = images.size(3);
  const std::int64_t image = channels * height * width, block = cols.size(1) * cols.size(2);
  dispatch_floating(cols.dtype(), "col2im", [&]<typename T>() {
    const T* pc = cols.data<T>();
    T* po = images.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b) cpu::col2im_image(pc + b * block, channels, height, width, g, po + b * image);
    });
  });
}

void cpu_transpose_samples(const Tensor& in, const Tensor& out) {
  const std::int64_t batch = in.size(0), a = in.size(1), b = in.size(2);
  dispatch_floating(in.dtype(), "transpose_samples", [&]<typename T>() {
    const T* pi = in.data<T>();
    T* po = out.data<T>();
    // One sample's matrix fits in L1 for the layers veil trains (a few
    // thousand values); the plain loop beat 16x16 tiles there (a plain
    // SampleConvNet step 2-3% faster, alternating bench_train pairs).
    parallel_for(batch, 4, [&](std::int64_t i0, std::int64_t i1) {
      for (std::int64_t i = i0; i < i1; ++i)
        for (std::int64_t x = 0; x < a; ++x)
          for (std::int64_t y = 0; y < b; ++y) po[(i * b + y) * a + x] = pi[(i * a + x) * b + y];
    });
  });
}

}  // namespace

const Im2rowKernels& cpu_im2row_kernels() {
  static const Im2rowKernels kernels{cpu_im2row, cpu_row2im, cpu_im2col, cpu_col2im, cpu_transpose_samples};
  return kernels;
}

}  // namespace veil
