// softmax and log_softmax over one dimension, over the softmax kernels.
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/softmax_kernels.h"

namespace veil {

Tensor softmax(const Tensor& a, int dim) {
  Tensor out = softmax_kernel(a, dim);
  return autograd::record_op("softmax", out, {a}, [y = out.detach(), dim](const Tensor& g) {
    // dx = y * (g - sum(g * y))
    return std::vector<Tensor>{mul(y, sub(g, sum(mul(g, y), {dim}, true)))};
  });
}

Tensor log_softmax(const Tensor& a, int dim) {
  Tensor out = log_softmax_kernel(a, dim);
  return autograd::record_op("log_softmax", out, {a}, [y = out.detach(), dim](const Tensor& g) {
    // dx = g - softmax * sum(g)
    return std::vector<Tensor>{sub(g, mul(exp(y), sum(g, {dim}, true)))};
  });
}

}  // namespace veil
