#pragma once
// Tensor: a small value type over refcounted storage.
//
// A Tensor is a handle to a TensorImpl: shape, strides and offset (in
// elements), dtype, and a shared Storage that owns the bytes and knows the
// device. Copying a Tensor shares the same impl (like a PyTorch tensor);
// views (reshape of contiguous data, slice, transpose) share the storage;
// only clone(), contiguous() of a non-contiguous tensor and to() copy.
//
// Autograd state lives on the impl: requires_grad, the accumulated .grad,
// and grad_fn, the graph node that produced a non-leaf tensor.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "veil/core/device.h"
#include "veil/core/dtype.h"
#include "veil/core/shape.h"
#include "veil/core/storage.h"

namespace veil {

namespace autograd {
class Node;
}

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  std::int64_t offset = 0;
  DType dtype = DType::Float32;

  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<autograd::Node> grad_fn;           // non-leaf: the op that made it
  std::shared_ptr<autograd::Node> grad_accumulator;  // leaf: writes into grad
};

class Tensor {
 public:
  Tensor() = default;  // undefined: holds nothing
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation -------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32,
                     Device device = Device::cpu());
  // A CPU tensor holding a copy of values, laid out row-major in shape.
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  static Tensor scalar(double value, DType dtype = DType::Float32);
  // Uniform in [lo, hi) / normal, from Philox keyed by (seed, stream id):
  // the same (seed, stream) gives the same values on every thread count.
  static Tensor uniform(const Shape& shape, double lo, double hi, std::uint64_t seed,
                        std::uint64_t stream = 0, DType dtype = DType::Float32);
  static Tensor normal(const Shape& shape, double mean, double std, std::uint64_t seed,
                       std::uint64_t stream = 0, DType dtype = DType::Float32);

  // ---- metadata -------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  std::int64_t size(int dim) const;
  int dim() const { return static_cast<int>(impl_->shape.size()); }
  std::int64_t numel() const { return shape_numel(impl_->shape); }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device(); }
  bool is_contiguous() const;
  std::int64_t offset() const { return impl_->offset; }
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles refer to the same impl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // Typed pointer to the first element; checks that T matches the dtype.
  template <typename T>
  T* data() const;
  void* raw_data() const;
  // The single element of a one-element CPU tensor, converted to double.
  double item() const;
  // A copy of the elements (row-major), converted to T; CPU only.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- views and copies (differentiable) -------------------------------
  Tensor reshape(const Shape& shape) const;  // -1 allowed once
  Tensor flatten(int start_dim = 0, int end_dim = -1) const;
  Tensor slice(int dim, std::int64_t start, std::int64_t end) const;
  Tensor transpose(int dim0, int dim1) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;

  // ---- autograd -------------------------------------------------------
  bool requires_grad() const { return impl_->requires_grad; }
  // Marks a leaf as a trainable input; throws on non-leaves.
  Tensor& set_requires_grad(bool requires_grad);
  bool is_leaf() const { return impl_->grad_fn == nullptr; }
  // The gradient accumulated by backward(); undefined before the first one.
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl_->grad_fn; }
  // Same data, cut from the graph.
  Tensor detach() const;
  // Backpropagates from this tensor; without an argument it must hold one
  // element and the seed gradient is 1.
  void backward(const Tensor& grad_output = Tensor()) const;

  // ---- in-place (not recorded by autograd) ------------------------------
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& copy_(const Tensor& source);  // same numel; converts dtype
  // this += alpha * other; other broadcasts to this shape and is converted to this dtype.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& mul_(double factor);

  std::string to_string() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

// Creates a tensor sharing storage with base under a new shape/strides/offset.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset);

}  // namespace veil
