// concat and index_select.
#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"

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
  require_cpu(a, "index_select");
  VEIL_CHECK(indices.dtype() == DType::Int64) << "index_select needs int64 indices, got " << indices.dtype();
  VEIL_CHECK(a.dim() >= 1) << "index_select on a scalar";
  const Tensor src = a.detach().contiguous();
  const Tensor idx = indices.contiguous();
  const std::int64_t rows = a.size(0);
  const std::int64_t width = rows == 0 ? 0 : a.numel() / rows;
  Shape shape = idx.shape();
  for (int k = 1; k < a.dim(); ++k) shape.push_back(a.shape()[k]);
  Tensor out = Tensor::empty(shape, a.dtype());
  const std::int64_t* pi = idx.data<std::int64_t>();
  for (std::int64_t i = 0; i < idx.numel(); ++i)
    VEIL_CHECK(pi[i] >= 0 && pi[i] < rows) << "index " << pi[i] << " out of range for " << rows << " rows";
  dispatch_all(a.dtype(), "index_select", [&]<typename T>() {
    const T* ps = src.data<T>();
    T* po = out.data<T>();
    for (std::int64_t i = 0; i < idx.numel(); ++i) std::copy(ps + pi[i] * width, ps + (pi[i] + 1) * width, po + i * width);
  });
  const Shape a_shape = a.shape();
  return autograd::record_op("index_select", out, {a}, [idx, a_shape, width](const Tensor& g) {
    Tensor grad = Tensor::zeros(a_shape, g.dtype());
    const Tensor gc = g.contiguous();
    const std::int64_t* pi = idx.data<std::int64_t>();
    dispatch_floating(g.dtype(), "index_select backward", [&]<typename T>() {
      const T* pg = gc.data<T>();
      T* pd = grad.data<T>();
      for (std::int64_t i = 0; i < idx.numel(); ++i)
        for (std::int64_t j = 0; j < width; ++j) pd[pi[i] * width + j] += pg[i * width + j];
    });
    return std::vector<Tensor>{grad};
  });
}

}  // namespace veil
