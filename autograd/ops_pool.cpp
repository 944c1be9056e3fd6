// max_pool2d and avg_pool2d over [B, C, H, W], over the pooling kernels.
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/pool_kernels.h"

namespace veil {

Tensor max_pool2d(const Tensor& x_in, const Conv2dGeometry& g) {
  const Tensor x = x_in.detach().contiguous();
  MaxPoolForward forward = max_pool2d_kernel(x, g);
  const Tensor out = forward.values;
  forward.values = out.detach();  // backward keeps the maxima, not the output's graph node
  return autograd::record_op("max_pool2d", out, {x_in}, [x, forward, g](const Tensor& grad) {
    return std::vector<Tensor>{max_pool2d_backward_kernel(x, forward, grad, g)};
  });
}

Tensor avg_pool2d(const Tensor& x_in, const Conv2dGeometry& g) {
  Tensor out = avg_pool2d_kernel(x_in.detach(), g);
  return autograd::record_op("avg_pool2d", out, {x_in}, [g, input_shape = x_in.shape()](const Tensor& grad) {
    return std::vector<Tensor>{avg_pool2d_backward_kernel(grad, g, input_shape)};
  });
}

}  // namespace veil
