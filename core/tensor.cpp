#include "veil/core/tensor.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "veil/core/copy.h"
#include "veil/core/error.h"
#include "veil/core/host_reads.h"

namespace veil {

namespace {

constexpr int kMaxRank = 16;

std::shared_ptr<TensorImpl> new_impl(const Shape& shape, DType dtype, Device device) {
  VEIL_CHECK(shape.size() <= kMaxRank) << "tensors have at most " << kMaxRank << " dimensions, got " << shape;
  for (auto d : shape) VEIL_CHECK(d >= 0) << "negative dimension in shape " << shape;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return impl;
}

}  // namespace

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

// ---- creation ---------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return Tensor(new_impl(shape, dtype, device));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  VEIL_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(shape))
      << values.size() << " values do not fill shape " << shape;
  Tensor t = empty(shape, dtype_of<T>);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::int64_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::uint8_t>&, const Shape&);

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

// ---- metadata ---------------------------------------------------------------

std::int64_t Tensor::size(int dim) const { return impl_->shape[normalize_dim(dim, this->dim())]; }

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (impl_->shape[d] == 1) continue;
    if (impl_->strides[d] != expected) return false;
    expected *= impl_->shape[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  VEIL_CHECK(defined()) << "data access on an undefined tensor";
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * dtype_size(impl_->dtype);
}

template <typename T>
T* Tensor::data() const {
  VEIL_CHECK(defined()) << "data access on an undefined tensor";
  VEIL_CHECK(dtype_of<T> == dtype()) << "data<" << dtype_name(dtype_of<T>) << ">() on a " << dtype() << " tensor";
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template std::int64_t* Tensor::data<std::int64_t>() const;
template std::uint8_t* Tensor::data<std::uint8_t>() const;

template <typename T>
std::vector<T> Tensor::to_vector() const {
  VEIL_CHECK(device().is_cpu()) << "to_vector() needs a CPU tensor, this one is on " << device();
  note_host_read(device());  // Note [Host reads]
  // A read-out: copy_strided converts and packs without recording a graph node.
  Tensor converted = Tensor::empty(shape(), dtype_of<T>, device());
  copy_strided(*this, converted);
  const T* p = converted.data<T>();
  return std::vector<T>(p, p + numel());
}
template std::vector<float> Tensor::to_vector() const;
template std::vector<double> Tensor::to_vector() const;
template std::vector<std::int64_t> Tensor::to_vector() const;
template std::vector<std::uint8_t> Tensor::to_vector() const;

double Tensor::item() const {
  VEIL_CHECK(numel() == 1) << "item() needs a one-element tensor, got shape " << shape();
  if (device().is_cpu()) return to_vector<double>()[0];
  Tensor host = Tensor::empty(shape(), dtype(), Device::cpu());
  copy_between_devices(contiguous(), host);
  return host.to_vector<double>()[0];
}

// ---- views and copies -------------------------------------------------------

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

// ---- autograd -------------------------------------------------------------

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  VEIL_CHECK(is_leaf()) << "set_requires_grad on a non-leaf tensor (use detach() first)";
  VEIL_CHECK(!requires_grad || is_floating(dtype())) << "only floating-point tensors can require grad, got "
                                                     << dtype();
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return impl_->grad ? Tensor(impl_->grad) : Tensor(); }

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    VEIL_CHECK(grad.shape() == shape()) << "grad of shape " << grad.shape() << " for a tensor of shape " << shape();
  }
  impl_->grad = grad.defined() ? grad.impl_ptr() : nullptr;
}

Tensor Tensor::detach() const { return make_view(*this, shape(), strides(), offset()); }

// ---- in-place ---------------------------------------------------------------

Tensor& Tensor::copy_(const Tensor& source) {
  VEIL_CHECK(source.numel() == numel()) << "copy_ from shape " << source.shape() << " into shape " << shape();
  if (source.device() != device()) {
    Tensor staged = source.to(dtype()).to(device());
    copy_strided(staged.reshape(shape()), *this);
  } else {
    copy_strided(source.shape() == shape() ? source : source.contiguous().reshape(shape()), *this);
  }
  return *this;
}

std::string Tensor::to_string() const {
  std::ostringstream os;
  os << "Tensor(shape=" << shape() << ", dtype=" << dtype() << ", device=" << device();
  if (device().is_cpu() && numel() <= 64) {
    os << ", values=[";
    auto values = to_vector<double>();
    for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
    os << "]";
  }
  return os.str() + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  return os << (tensor.defined() ? tensor.to_string() : std::string("Tensor(undefined)"));
}

}  // namespace veil
