// im2col / col2im as differentiable tensor ops over a batch, over the im2row
// kernels (core/im2row.h).
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/im2row.h"

namespace veil {

Tensor im2col(const Tensor& x_in, const Conv2dGeometry& g) {
  VEIL_CHECK(x_in.dim() == 4) << "im2col expects [B, C, H, W], got " << x_in.shape();
  const Shape image_shape = x_in.shape();
  Tensor out = im2col_kernel(x_in.detach(), g);
  return autograd::record_op("im2col", out, {x_in}, [=](const Tensor& grad) {
    return std::vector<Tensor>{col2im(grad, image_shape[1], image_shape[2], image_shape[3], g)};
  });
}

Tensor col2im(const Tensor& cols_in, std::int64_t channels, std::int64_t height, std::int64_t width,
              const Conv2dGeometry& g) {
  VEIL_CHECK(cols_in.dim() == 3) << "col2im expects [B, C*kh*kw, L], got " << cols_in.shape();
  Tensor out = col2im_kernel(cols_in.detach(), {cols_in.size(0), channels, height, width}, g);
  return autograd::record_op("col2im", out, {cols_in},
                             [g](const Tensor& grad) { return std::vector<Tensor>{im2col(grad, g)}; });
}

}  // namespace veil
