// concat and index_select.
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/index_kernels.h"

namespace veil {

Tensor concat(const std::vector<Tensor>& tensors, int dim) {
  VEIL_CHECK(!tensors.empty()) << "concat of an empty list";
  const Tensor& first = tensors.front();
  const int d = normalize_dim(dim, first.dim());
  Shape shape = first.shape();
  shape[d] = 0;
  for (const Tensor& t : tensors) {
    VEIL_CHECK(t.dim() == first.dim() && t.dtype() == first.dtype() && t.device() == first.device())
        << "concat: tensor " << t.shape() << " " << t.dtype() << " does not match " << first.shape() << " "
        << first.dtype();
    for (int k = 0; k < first.dim(); ++k)
      VEIL_CHECK(k == d || t.shape()[k] == first.shape()[k])
          << "concat along " << d << ": shapes " << first.shape() << " and " << t.shape() << " differ elsewhere";
    shape[d] += t.shape()[d];
  }
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  std::vector<std::int64_t> starts;
  std::int64_t start = 0;
  for (const Tensor& t : tensors) {
    starts.push_back(start);
    make_view(out, t.shape(), out.strides(), start * out.strides()[d]).copy_(t);
    start += t.shape()[d];
  }
  std::vector<std::int64_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.shape()[d]);
  return autograd::record_op("concat", out, tensors, [d, starts, sizes](const Tensor& g) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i) grads.push_back(g.slice(d, starts[i], starts[i] + sizes[i]).contiguous());
    return grads;
  });
}

Tensor index_select(const Tensor& a, const Tensor& indices) {
  Tensor out = index_select_kernel(a.detach(), indices);
  return autograd::record_op("index_select", out, {a}, [idx = indices.contiguous(), a_shape = a.shape()](const Tensor& g) {
    return std::vector<Tensor>{index_select_backward_kernel(g, idx, a_shape)};
  });
}

}  // namespace veil
