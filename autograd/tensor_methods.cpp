// The Tensor methods that record graph nodes (views, copies, conversions and
// backward()). core/tensor.h declares them with the rest of Tensor; they are
// defined here because core does not know autograd.
#include "veil/autograd/grad_mode.h"
#include "veil/autograd/node.h"
#include "veil/core/copy.h"
#include "veil/core/error.h"
#include "veil/core/tensor.h"

namespace veil {

Tensor Tensor::reshape(const Shape& requested) const {
  Shape shape = requested;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      VEIL_CHECK(infer < 0) << "reshape to " << requested << ": only one -1 allowed";
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    VEIL_CHECK(known > 0) << "cannot reshape " << this->shape() << " to " << requested
                          << ": -1 is ambiguous next to a 0 dimension (use flatten() for an empty batch)";
    VEIL_CHECK(numel() % known == 0) << "cannot reshape " << this->shape() << " to " << requested;
    shape[infer] = numel() / known;
  }
  VEIL_CHECK(shape_numel(shape) == numel()) << "cannot reshape " << this->shape() << " to " << requested;
  Tensor source;
  {
    NoGradGuard no_grad;  // the copy below is not part of the graph
    source = contiguous();
  }
  Tensor out = make_view(source, shape, contiguous_strides(shape), source.offset());
  const Shape input_shape = this->shape();
  return autograd::record_op("reshape", out, {*this}, [input_shape](const Tensor& g) {
    return std::vector<Tensor>{g.reshape(input_shape)};
  });
}

Tensor Tensor::flatten(int start_dim, int end_dim) const {
  if (dim() == 0) return reshape({1});
  const int start = normalize_dim(start_dim, dim());
  const int end = normalize_dim(end_dim, dim());
  VEIL_CHECK(start <= end) << "flatten(" << start_dim << ", " << end_dim << ") on shape " << shape();
  Shape out;
  for (int d = 0; d < start; ++d) out.push_back(shape()[d]);
  std::int64_t merged = 1;
  for (int d = start; d <= end; ++d) merged *= shape()[d];
  out.push_back(merged);
  for (int d = end + 1; d < dim(); ++d) out.push_back(shape()[d]);
  return reshape(out);
}

Tensor Tensor::slice(int dim_index, std::int64_t start, std::int64_t end) const {
  const int d = normalize_dim(dim_index, dim());
  VEIL_CHECK(0 <= start && start <= end && end <= shape()[d])
      << "slice [" << start << ", " << end << ") out of range for dimension " << d << " of shape " << shape();
  Shape shape = this->shape();
  shape[d] = end - start;
  Tensor out = make_view(*this, shape, strides(), offset() + start * strides()[d]);
  const Shape input_shape = this->shape();
  const DType dtype = this->dtype();
  const Device device = this->device();
  return autograd::record_op("slice", out, {*this}, [=](const Tensor& g) {
    Tensor full_grad = Tensor::zeros(input_shape, dtype, device);
    make_view(full_grad, g.shape(), full_grad.strides(), start * full_grad.strides()[d]).copy_(g);
    return std::vector<Tensor>{full_grad};
  });
}

Tensor Tensor::transpose(int dim0, int dim1) const {
  const int a = normalize_dim(dim0, dim());
  const int b = normalize_dim(dim1, dim());
  Shape shape = this->shape();
  Shape strides = this->strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  Tensor out = make_view(*this, shape, strides, offset());
  return autograd::record_op("transpose", out, {*this}, [a, b](const Tensor& g) {
    return std::vector<Tensor>{g.transpose(a, b)};
  });
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_strided(*this, out);
  return autograd::record_op("clone", out, {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = empty(shape(), target, device());
  copy_strided(*this, out);
  if (!is_floating(target) || !is_floating(dtype())) return out;
  const DType source = dtype();
  return autograd::record_op("to_dtype", out, {*this}, [source](const Tensor& g) {
    return std::vector<Tensor>{g.to(source)};
  });
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  const Tensor source = contiguous();
  Tensor out = empty(shape(), dtype(), target);
  copy_between_devices(source, out);
  const Device from = device();
  return autograd::record_op("to_device", out, {*this}, [from](const Tensor& g) {
    return std::vector<Tensor>{g.to(from)};
  });
}

void Tensor::backward(const Tensor& grad_output) const { autograd::run_backward(*this, grad_output); }

}  // namespace veil
