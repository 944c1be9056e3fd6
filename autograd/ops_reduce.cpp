// Reductions: sum, mean, argmax, sum_to, over the reduction kernels.
#include <numeric>
#include <vector>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/elementwise.h"
#include "veil/core/reduce_kernels.h"

namespace veil {

using autograd::record_op;
using Grads = std::vector<Tensor>;

Tensor sum(const Tensor& a, const std::vector<int>& dims, bool keepdim) {
  Tensor out = sum_kernel(a, dims, keepdim);
  const Shape input_shape = a.shape();
  Shape kept_shape = input_shape;
  for (int d : dims) kept_shape[normalize_dim(d, a.dim())] = 1;
  return record_op("sum", out, {a}, [input_shape, kept_shape](const Tensor& g) {
    return Grads{expand_to(g.reshape(kept_shape), input_shape).contiguous()};
  });
}

Tensor sum(const Tensor& a) {
  std::vector<int> dims(a.dim());
  std::iota(dims.begin(), dims.end(), 0);
  return sum(a, dims, false);
}

Tensor mean(const Tensor& a, const std::vector<int>& dims, bool keepdim) {
  std::int64_t count = 1;
  for (int d : dims) count *= a.shape()[normalize_dim(d, a.dim())];
  return mul_scalar(sum(a, dims, keepdim), count == 0 ? 0.0 : 1.0 / static_cast<double>(count));
}

Tensor mean(const Tensor& a) {
  return mul_scalar(sum(a), a.numel() == 0 ? 0.0 : 1.0 / static_cast<double>(a.numel()));
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return sum(a, broadcast_reduced_dims(a.shape(), shape), false).reshape(shape);
}

Tensor argmax(const Tensor& a, int dim) { return argmax_kernel(a, dim); }

}  // namespace veil
