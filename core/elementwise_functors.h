#pragma once
// Element-wise math, written once for CPU and GPU (see Note [One functor, two
// loops] in core/elementwise.h). Each functor maps one element (unary) or a
// pair (binary); the visit_* helpers turn a runtime kind into the functor
// outside the inner loop, so the loops stay branch-free and vectorisable.
#include <cmath>

#include "veil/core/error.h"
#include "veil/core/host_device.h"

namespace veil {

enum class UnaryKind { Neg, Exp, Log, Sqrt, Relu, Tanh, Sigmoid, AddScalar, MulScalar, PowScalar, Fill };
enum class BinaryKind {
  Add,
  Sub,
  Mul,
  Div,
  ReluBackward,     // (grad, x) -> x > 0 ? grad : 0
  TanhBackward,     // (grad, y) -> grad * (1 - y^2), y = tanh(x)
  SigmoidBackward,  // (grad, y) -> grad * y * (1 - y), y = sigmoid(x)
  AddScaled,        // (a, b) -> a + scalar * b
  Equal,            // (a, b) -> a == b ? 1 : 0
};

namespace functors {

struct Neg { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return -x; } };
struct Exp { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return std::exp(x); } };
struct Log { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return std::log(x); } };
struct Sqrt { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); } };
struct Relu { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return x > T(0) ? x : T(0); } };
struct Tanh { template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return std::tanh(x); } };
struct Sigmoid {
  template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
};
struct AddScalar {
  double s;
  template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return x + static_cast<T>(s); }
};
struct MulScalar {
  double s;
  template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return x * static_cast<T>(s); }
};
struct PowScalar {
  double s;
  template <typename T> VEIL_HOST_DEVICE T operator()(T x) const { return std::pow(x, static_cast<T>(s)); }
};
struct Fill {
  double s;
  template <typename T> VEIL_HOST_DEVICE T operator()(T) const { return static_cast<T>(s); }
};

struct Add { template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a + b; } };
struct Sub { template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a - b; } };
struct Mul { template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a * b; } };
struct Div { template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a / b; } };
struct ReluBackward {
  template <typename T> VEIL_HOST_DEVICE T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
};
struct TanhBackward {
  template <typename T> VEIL_HOST_DEVICE T operator()(T g, T y) const { return g * (T(1) - y * y); }
};
struct SigmoidBackward {
  template <typename T> VEIL_HOST_DEVICE T operator()(T g, T y) const { return g * y * (T(1) - y); }
};
struct AddScaled {
  double s;
  template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a + static_cast<T>(s) * b; }
};
struct Equal {
  template <typename T> VEIL_HOST_DEVICE T operator()(T a, T b) const { return a == b ? T(1) : T(0); }
};

}  // namespace functors

template <typename Fn>
void visit_unary(UnaryKind kind, double scalar, Fn&& fn) {
  switch (kind) {
    case UnaryKind::Neg: return fn(functors::Neg{});
    case UnaryKind::Exp: return fn(functors::Exp{});
    case UnaryKind::Log: return fn(functors::Log{});
    case UnaryKind::Sqrt: return fn(functors::Sqrt{});
    case UnaryKind::Relu: return fn(functors::Relu{});
    case UnaryKind::Tanh: return fn(functors::Tanh{});
    case UnaryKind::Sigmoid: return fn(functors::Sigmoid{});
    case UnaryKind::AddScalar: return fn(functors::AddScalar{scalar});
    case UnaryKind::MulScalar: return fn(functors::MulScalar{scalar});
    case UnaryKind::PowScalar: return fn(functors::PowScalar{scalar});
    case UnaryKind::Fill: return fn(functors::Fill{scalar});
  }
}

template <typename Fn>
void visit_binary(BinaryKind kind, double scalar, Fn&& fn) {
  switch (kind) {
    case BinaryKind::Add: return fn(functors::Add{});
    case BinaryKind::Sub: return fn(functors::Sub{});
    case BinaryKind::Mul: return fn(functors::Mul{});
    case BinaryKind::Div: return fn(functors::Div{});
    case BinaryKind::ReluBackward: return fn(functors::ReluBackward{});
    case BinaryKind::TanhBackward: return fn(functors::TanhBackward{});
    case BinaryKind::SigmoidBackward: return fn(functors::SigmoidBackward{});
    case BinaryKind::AddScaled: return fn(functors::AddScaled{scalar});
    case BinaryKind::Equal: return fn(functors::Equal{});
  }
}

}  // namespace veil
