// Differentiable element-wise ops and the in-place Tensor methods.
// Backward lambdas capture outputs only through detach(): capturing the
// output itself would make it own its own graph node (a reference cycle).
#include <cmath>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/node.h"
#include "veil/core/elementwise.h"
#include "veil/core/error.h"
#include "veil/autograd/ops.h"

namespace veil {

using autograd::record_op;
using Grads = std::vector<Tensor>;

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryKind::Add, a, b);
  const Shape sa = a.shape(), sb = b.shape();
  return record_op("add", out, {a, b}, [sa, sb](const Tensor& g) { return Grads{sum_to(g, sa), sum_to(g, sb)}; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryKind::Sub, a, b);
  const Shape sa = a.shape(), sb = b.shape();
  return record_op("sub", out, {a, b},
                   [sa, sb](const Tensor& g) { return Grads{sum_to(g, sa), sum_to(neg(g), sb)}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryKind::Mul, a, b);
  return record_op("mul", out, {a, b}, [a, b](const Tensor& g) {
    return Grads{sum_to(mul(g, b), a.shape()), sum_to(mul(g, a), b.shape())};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryKind::Div, a, b);
  return record_op("div", out, {a, b}, [a, b](const Tensor& g) {
    Tensor ga = div(g, b);
    Tensor gb = neg(div(mul(ga, a), b));  // -g a / b^2
    return Grads{sum_to(ga, a.shape()), sum_to(gb, b.shape())};
  });
}

Tensor add_scalar(const Tensor& a, double value) {
  Tensor out = unary_kernel(UnaryKind::AddScalar, a, value);
  return record_op("add_scalar", out, {a}, [](const Tensor& g) { return Grads{g}; });
}

Tensor mul_scalar(const Tensor& a, double value) {
  Tensor out = unary_kernel(UnaryKind::MulScalar, a, value);
  return record_op("mul_scalar", out, {a}, [value](const Tensor& g) { return Grads{mul_scalar(g, value)}; });
}

Tensor pow_scalar(const Tensor& a, double exponent) {
  Tensor out = unary_kernel(UnaryKind::PowScalar, a, exponent);
  return record_op("pow_scalar", out, {a}, [a, exponent](const Tensor& g) {
    return Grads{mul(g, mul_scalar(pow_scalar(a, exponent - 1.0), exponent))};
  });
}

Tensor neg(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Neg, a);
  return record_op("neg", out, {a}, [](const Tensor& g) { return Grads{neg(g)}; });
}

Tensor exp(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Exp, a);
  return record_op("exp", out, {a}, [y = out.detach()](const Tensor& g) { return Grads{mul(g, y)}; });
}

Tensor log(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Log, a);
  return record_op("log", out, {a}, [a](const Tensor& g) { return Grads{div(g, a)}; });
}

Tensor sqrt(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Sqrt, a);
  return record_op("sqrt", out, {a}, [y = out.detach()](const Tensor& g) {
    return Grads{div(g, mul_scalar(y, 2.0))};
  });
}

Tensor relu(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Relu, a);
  return record_op("relu", out, {a},
                   [a](const Tensor& g) { return Grads{binary_kernel(BinaryKind::ReluBackward, g, a)}; });
}

Tensor tanh(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Tanh, a);
  return record_op("tanh", out, {a}, [y = out.detach()](const Tensor& g) {
    return Grads{binary_kernel(BinaryKind::TanhBackward, g, y)};
  });
}

Tensor sigmoid(const Tensor& a) {
  Tensor out = unary_kernel(UnaryKind::Sigmoid, a);
  return record_op("sigmoid", out, {a}, [y = out.detach()](const Tensor& g) {
    return Grads{binary_kernel(BinaryKind::SigmoidBackward, g, y)};
  });
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryKind::Equal, a, b); }

// ---- in-place Tensor methods --------------------------------------------------

Tensor& Tensor::fill_(double value) {
  unary_kernel_(UnaryKind::Fill, *this, value);
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  if (other.dtype() == dtype()) {
    binary_kernel_(BinaryKind::AddScaled, *this, other, alpha);
  } else {
    // Like copy_, add_ converts the source to this tensor's dtype.
    NoGradGuard no_grad;
    binary_kernel_(BinaryKind::AddScaled, *this, other.to(dtype()), alpha);
  }
  return *this;
}

Tensor& Tensor::mul_(double factor) {
  unary_kernel_(UnaryKind::MulScalar, *this, factor);
  return *this;
}

}  // namespace veil
