// im2col / col2im as differentiable tensor ops over a batch.
#include "veil/autograd/node.h"
#include "veil/core/cpu/im2col.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"

namespace veil {

Tensor im2col(const Tensor& x_in, const Conv2dGeometry& g) {
  require_cpu(x_in, "im2col");
  VEIL_CHECK(x_in.dim() == 4) << "im2col expects [B, C, H, W], got " << x_in.shape();
  const Tensor x = x_in.detach().contiguous();
  const std::int64_t batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  const std::int64_t rows = channels * g.kernel_h * g.kernel_w;
  const std::int64_t l = g.out_h(height) * g.out_w(width);
  Tensor out = Tensor::empty({batch, rows, l}, x.dtype());
  dispatch_floating(x.dtype(), "im2col", [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b)
        cpu::im2col_image(px + b * channels * height * width, channels, height, width, g, po + b * rows * l);
    });
  });
  return autograd::record_op("im2col", out, {x_in}, [=](const Tensor& grad) {
    return std::vector<Tensor>{col2im(grad, channels, height, width, g)};
  });
}

Tensor col2im(const Tensor& cols_in, std::int64_t channels, std::int64_t height, std::int64_t width,
              const Conv2dGeometry& g) {
  require_cpu(cols_in, "col2im");
  VEIL_CHECK(cols_in.dim() == 3) << "col2im expects [B, C*kh*kw, L], got " << cols_in.shape();
  const std::int64_t rows = channels * g.kernel_h * g.kernel_w;
  const std::int64_t l = g.out_h(height) * g.out_w(width);
  VEIL_CHECK(cols_in.size(1) == rows && cols_in.size(2) == l)
      << "col2im: columns " << cols_in.shape() << " do not match " << channels << "x" << height << "x" << width;
  const Tensor cols = cols_in.detach().contiguous();
  const std::int64_t batch = cols.size(0);
  Tensor out = Tensor::empty({batch, channels, height, width}, cols.dtype());
  dispatch_floating(cols.dtype(), "col2im", [&]<typename T>() {
    const T* pc = cols.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b)
        cpu::col2im_image(pc + b * rows * l, channels, height, width, g, po + b * channels * height * width);
    });
  });
  return autograd::record_op("col2im", out, {cols_in},
                             [g](const Tensor& grad) { return std::vector<Tensor>{im2col(grad, g)}; });
}

}  // namespace veil
