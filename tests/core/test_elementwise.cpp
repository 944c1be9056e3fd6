// Element-wise ops: broadcasting binary ops, scalar ops, unary math against
// std::, gradients by finite differences, strided inputs and the in-place
// Tensor methods.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

namespace {

// out[i] = op(a[ia], b[ib]) with numpy broadcasting, computed index by index.
std::vector<double> broadcast_reference(const Tensor& a, const Tensor& b,
                                        const std::function<double(double, double)>& op, Shape& out_shape) {
  const int rank = std::max(a.dim(), b.dim());
  auto padded = [rank](const Shape& s) {
    Shape p(rank - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };
  const Shape sa = padded(a.shape()), sb = padded(b.shape());
  out_shape.assign(rank, 0);
  for (int d = 0; d < rank; ++d) out_shape[d] = sa[d] == 1 ? sb[d] : sa[d];
  const auto va = values(a), vb = values(b);
  std::vector<double> out(shape_numel(out_shape));
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(out.size()); ++i) {
    std::int64_t rest = i, ia = 0, ib = 0, stride_a = 1, stride_b = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const std::int64_t idx = rest % out_shape[d];
      rest /= out_shape[d];
      ia += (sa[d] == 1 ? 0 : idx) * stride_a;
      ib += (sb[d] == 1 ? 0 : idx) * stride_b;
      stride_a *= sa[d];
      stride_b *= sb[d];
    }
    out[i] = op(va[ia], vb[ib]);
  }
  return out;
}

struct BinaryCase {
  const char* name;
  Tensor (*op)(const Tensor&, const Tensor&);
  std::function<double(double, double)> reference;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", &add, [](double x, double y) { return x + y; }},
      {"sub", &sub, [](double x, double y) { return x - y; }},
      {"mul", &mul, [](double x, double y) { return x * y; }},
      {"div", &div, [](double x, double y) { return x / y; }},
  };
}

const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{2, 3}, {2, 3}},        // same shape
    {{2, 3}, {3}},           // bias along the leading dim
    {{2, 3}, {2, 1}},        // size-1 trailing dim
    {{4, 1, 3}, {2, 1}},     // both stretched
    {{1}, {2, 3}},           // one element against a matrix
    {{}, {2, 3}},            // rank 0
    {{3, 1, 2, 1}, {4, 1, 1}},  // rank 4 against rank 3
    {{5, 1}, {1, 4}},        // outer product shape
};

}  // namespace

TEST_CASE("add/sub/mul/div broadcast like numpy, for float32 and float64", "[elementwise]") {
  for (const auto& c : binary_cases()) {
    for (const auto& [sa, sb] : kBroadcastPairs) {
      for (DType dtype : {DType::Float32, DType::Float64}) {
        INFO(c.name << " " << shape_string(sa) << " with " << shape_string(sb) << " in " << dtype);
        const Tensor a = rand_away_from_zero(sa, 1).to(dtype);
        const Tensor b = rand_away_from_zero(sb, 2).to(dtype);
        Shape expected_shape;
        const auto expected = broadcast_reference(a, b, c.reference, expected_shape);
        const double tol = dtype == DType::Float32 ? 1e-6 : 1e-15;
        require_values(c.op(a, b), expected_shape, expected, tol, tol);
        // Swapped operands broadcast the same way.
        const auto swapped = broadcast_reference(b, a, c.reference, expected_shape);
        require_values(c.op(b, a), expected_shape, swapped, tol, tol);
      }
    }
  }
  // The operators are the same functions.
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector<float>({10, 20}, {2});
  REQUIRE((a + b).to_vector<float>() == std::vector<float>{11, 22, 13, 24});
  REQUIRE((a - b).to_vector<float>() == std::vector<float>{-9, -18, -7, -16});
  REQUIRE((a * b).to_vector<float>() == std::vector<float>{10, 40, 30, 80});
  REQUIRE((b / a).to_vector<float>() == std::vector<float>{10, 10, 10.0f / 3, 5});
  REQUIRE((-a).to_vector<float>() == std::vector<float>{-1, -2, -3, -4});
}

TEST_CASE("binary ops on integer tensors compute in the integer type", "[elementwise]") {
  Tensor a = Tensor::from_vector<std::int64_t>({7, -7, 9}, {3});
  Tensor b = Tensor::from_vector<std::int64_t>({2, 2, 3}, {3});
  REQUIRE(add(a, b).to_vector<std::int64_t>() == std::vector<std::int64_t>{9, -5, 12});
  REQUIRE(mul(a, b).to_vector<std::int64_t>() == std::vector<std::int64_t>{14, -14, 27});
  REQUIRE(div(a, b).to_vector<std::int64_t>() == std::vector<std::int64_t>{3, -3, 3});
}

TEST_CASE("eq is 1 where the operands are equal and 0 elsewhere, in their dtype, broadcasting", "[elementwise]") {
  // Predicted classes against labels: the count of correct predictions.
  const Tensor predicted = Tensor::from_vector<std::int64_t>({3, 1, 4, 1, 5}, {5});
  const Tensor labels = Tensor::from_vector<std::int64_t>({3, 2, 4, 0, 5}, {5});
  const Tensor hits = eq(predicted, labels);
  REQUIRE(hits.dtype() == DType::Int64);
  REQUIRE(hits.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1, 0, 1});
  REQUIRE(sum(hits.to(DType::Float64)).item() == 3.0);
  // Broadcast rows against one row; NaN equals nothing, itself included.
  const Tensor a = Tensor::from_vector<double>({1, 2, NAN, 1, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<double>({1, 5, NAN}, {3});
  require_values(eq(a, b), {2, 3}, {1, 0, 0, 1, 1, 0});
  require_values(eq(b, a.transpose(0, 1).contiguous().transpose(0, 1)), {2, 3}, {1, 0, 0, 1, 1, 0});
  // Not recorded: a comparison has no gradient.
  const Tensor x = rand({4}, 3).set_requires_grad(true);
  REQUIRE(eq(x, x).grad_fn() == nullptr);
  require_values(eq(x, x), {4}, {1, 1, 1, 1});
  REQUIRE(eq(Tensor::zeros({0}), Tensor::zeros({1})).shape() == Shape{0});
  const std::string msg = error_message([] { eq(Tensor::zeros({2}, DType::Int64), Tensor::zeros({2})); });
  REQUIRE_THAT(msg, Catch::Contains("int64") && Catch::Contains("float32"));
}

TEST_CASE("binary ops reject mismatched shapes and dtypes, naming them", "[elementwise][errors]") {
  Tensor a = Tensor::zeros({2, 3});
  std::string msg = error_message([&] { add(a, Tensor::zeros({2})); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 3]") && Catch::Contains("[2]"));
  msg = error_message([&] { mul(Tensor::zeros({4, 3}), Tensor::zeros({2, 3})); });
  REQUIRE_THAT(msg, Catch::Contains("[4, 3]") && Catch::Contains("[2, 3]"));
  msg = error_message([&] { sub(a, Tensor::zeros({2, 3}, DType::Float64)); });
  REQUIRE_THAT(msg, Catch::Contains("float32") && Catch::Contains("float64"));
}

TEST_CASE("scalar ops match their definition", "[elementwise]") {
  Tensor a = Tensor::from_vector<double>({-1.5, 0.0, 2.0}, {3});
  require_values(add_scalar(a, 0.5), {3}, {-1.0, 0.5, 2.5});
  require_values(a + 0.5, {3}, {-1.0, 0.5, 2.5});
  require_values(a - 0.5, {3}, {-2.0, -0.5, 1.5});
  require_values(mul_scalar(a, -2.0), {3}, {3.0, 0.0, -4.0});
  require_values(3.0 * a, {3}, {-4.5, 0.0, 6.0});
  require_values(a * 3.0, {3}, {-4.5, 0.0, 6.0});
  require_values(a / 4.0, {3}, {-0.375, 0.0, 0.5});
  Tensor p = Tensor::from_vector<double>({0.5, 1.0, 4.0}, {3});
  require_values(pow_scalar(p, 2.0), {3}, {0.25, 1.0, 16.0});
  require_values(pow_scalar(p, 0.5), {3}, {std::sqrt(0.5), 1.0, 2.0});
  require_values(pow_scalar(p, -1.0), {3}, {2.0, 1.0, 0.25});
  require_values(pow_scalar(p, 0.0), {3}, {1.0, 1.0, 1.0});
}

TEST_CASE("unary ops match the std:: functions, contiguous and strided", "[elementwise]") {
  struct UnaryCase {
    const char* name;
    Tensor (*op)(const Tensor&);
    double (*reference)(double);
    double lo, hi;
  };
  const std::vector<UnaryCase> cases = {
      {"neg", &neg, [](double x) { return -x; }, -3, 3},
      {"exp", &exp, [](double x) { return std::exp(x); }, -5, 5},
      {"log", &log, [](double x) { return std::log(x); }, 1e-3, 10},
      {"sqrt", &sqrt, [](double x) { return std::sqrt(x); }, 0, 10},
      {"relu", &relu, [](double x) { return x > 0 ? x : 0.0; }, -3, 3},
      {"tanh", &tanh, [](double x) { return std::tanh(x); }, -4, 4},
      {"sigmoid", &sigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -8, 8},
  };
  for (const auto& c : cases) {
    for (DType dtype : {DType::Float32, DType::Float64}) {
      INFO(c.name << " in " << dtype);
      const Tensor x = rand({5, 7}, 3, DType::Float64, c.lo, c.hi).to(dtype);
      const double tol = dtype == DType::Float32 ? 2e-6 : 1e-14;
      std::vector<double> expected;
      for (double v : values(x)) expected.push_back(c.reference(v));
      require_values(c.op(x), {5, 7}, expected, tol, tol);

      // Transposed (strided) input: same values in transposed order.
      const Tensor xt = x.transpose(0, 1);
      std::vector<double> expected_t;
      for (double v : values(xt)) expected_t.push_back(c.reference(v));
      const Tensor yt = c.op(xt);
      REQUIRE(yt.is_contiguous());
      require_values(yt, {7, 5}, expected_t, tol, tol);
      // A column slice (offset and stride) too.
      const Tensor xs = x.slice(1, 2, 5);
      std::vector<double> expected_s;
      for (double v : values(xs)) expected_s.push_back(c.reference(v));
      require_values(c.op(xs), {5, 3}, expected_s, tol, tol);
    }
  }
  // Large inputs do not overflow sigmoid into NaN.
  Tensor big = Tensor::from_vector<float>({-1000.0f, 1000.0f}, {2});
  require_values(sigmoid(big), {2}, {0.0, 1.0});
  require_values(tanh(big), {2}, {-1.0, 1.0});
}

TEST_CASE("binary ops on non-contiguous operands", "[elementwise]") {
  const Tensor a = rand({4, 6}, 4);
  const Tensor b = rand({6, 4}, 5);
  const Tensor bt = b.transpose(0, 1);  // [4, 6], strided
  Shape shape;
  require_values(add(a, bt), {4, 6}, broadcast_reference(a, bt, std::plus<double>(), shape));
  require_values(mul(bt, a), {4, 6}, broadcast_reference(bt, a, std::multiplies<double>(), shape));
  // Strided operand broadcast against a strided column.
  const Tensor col = a.slice(1, 2, 3);  // [4, 1], stride 6
  require_values(sub(bt, col), {4, 6}, broadcast_reference(bt, col, std::minus<double>(), shape));
  // Both strided, with an offset slice of a 3-D tensor.
  const Tensor c = rand({3, 4, 6}, 6).slice(0, 1, 3).transpose(1, 2);  // [2, 6, 4]
  require_values(div(c, b.slice(0, 0, 6)), {2, 6, 4},
                 broadcast_reference(c, b, std::divides<double>(), shape), 1e-15, 1e-15);
}

TEST_CASE("large strided and broadcast operands (split over threads) are right element by element", "[elementwise]") {
  // Large enough that the row loop is split into chunks that each start
  // mid-tensor (the odometer start position matters).
  const Tensor x = rand({16, 3, 20, 21}, 17);
  const Tensor xt = x.transpose(1, 3);  // [16, 21, 20, 3]
  std::vector<double> expected;
  for (double v : values(xt)) expected.push_back(std::exp(v));
  require_values(exp(xt), {16, 21, 20, 3}, expected, 1e-15, 1e-15);
  const Tensor bias = rand({21, 1, 3}, 18);
  Shape shape;
  require_values(mul(xt, bias), {16, 21, 20, 3}, broadcast_reference(xt, bias, std::multiplies<double>(), shape));
  Tensor acc = Tensor::zeros({16, 21, 20, 3}, DType::Float64);
  acc.add_(xt, 2.0);
  std::vector<double> twice;
  for (double v : values(xt)) twice.push_back(2 * v);
  require_values(acc, {16, 21, 20, 3}, twice);
}

TEST_CASE("gradients of the binary ops with broadcasting", "[elementwise][grad]") {
  for (const auto& c : binary_cases()) {
    for (const auto& [sa, sb] : kBroadcastPairs) {
      INFO(c.name << " " << shape_string(sa) << " with " << shape_string(sb));
      auto op = c.op;
      require_gradcheck([op](const std::vector<Tensor>& in) { return op(in[0], in[1]); },
                        {rand_away_from_zero(sa, 7), rand_away_from_zero(sb, 8)});
    }
  }
  // The same tensor on both sides.
  require_gradcheck([](const std::vector<Tensor>& in) { return mul(in[0], in[0]); }, {rand({3, 2}, 9)});
  require_gradcheck([](const std::vector<Tensor>& in) { return div(in[0], in[0] + 3.0); }, {rand({3, 2}, 9)});
  // Only one input requiring grad.
  require_gradcheck([](const std::vector<Tensor>& in) { return mul(in[0], in[1]); },
                    {rand({2, 3}, 10), rand({3}, 11)}, {}, {1});
}

TEST_CASE("gradients of the unary and scalar ops", "[elementwise][grad]") {
  using Fn = autograd::GradcheckFn;
  const Tensor any = rand({3, 4}, 12, DType::Float64, -2, 2);
  const Tensor positive = rand({3, 4}, 13, DType::Float64, 0.3, 3);
  const Tensor no_kink = rand_away_from_zero({3, 4}, 14, 0.05, 2);
  const std::vector<std::tuple<const char*, Fn, Tensor>> cases = {
      {"neg", [](const std::vector<Tensor>& in) { return neg(in[0]); }, any},
      {"exp", [](const std::vector<Tensor>& in) { return exp(in[0]); }, any},
      {"log", [](const std::vector<Tensor>& in) { return log(in[0]); }, positive},
      {"sqrt", [](const std::vector<Tensor>& in) { return sqrt(in[0]); }, positive},
      {"relu", [](const std::vector<Tensor>& in) { return relu(in[0]); }, no_kink},
      {"tanh", [](const std::vector<Tensor>& in) { return tanh(in[0]); }, any},
      {"sigmoid", [](const std::vector<Tensor>& in) { return sigmoid(in[0]); }, any},
      {"add_scalar", [](const std::vector<Tensor>& in) { return add_scalar(in[0], 1.5); }, any},
      {"mul_scalar", [](const std::vector<Tensor>& in) { return mul_scalar(in[0], -2.5); }, any},
      {"pow_scalar 2", [](const std::vector<Tensor>& in) { return pow_scalar(in[0], 2.0); }, any},
      {"pow_scalar 3", [](const std::vector<Tensor>& in) { return pow_scalar(in[0], 3.0); }, any},
      {"pow_scalar 2.5", [](const std::vector<Tensor>& in) { return pow_scalar(in[0], 2.5); }, positive},
      {"pow_scalar -1.5", [](const std::vector<Tensor>& in) { return pow_scalar(in[0], -1.5); }, positive},
      {"operators", [](const std::vector<Tensor>& in) { return (in[0] * 2.0 - 1.0) / 3.0; }, any},
      {"chain", [](const std::vector<Tensor>& in) { return tanh(exp(sigmoid(in[0])) * in[0]); }, any},
  };
  for (const auto& [name, fn, x] : cases) {
    INFO(name);
    require_gradcheck(fn, {x});
    // The same op on a strided view of a bigger input.
    require_gradcheck([fn](const std::vector<Tensor>& in) { return fn({in[0].transpose(0, 1)}); }, {x});
  }
}

TEST_CASE("the relu gradient is zero on the negative side and passes through on the positive", "[elementwise][grad]") {
  Tensor x = Tensor::from_vector<double>({-2.0, -0.5, 0.5, 3.0}, {4});
  x.set_requires_grad(true);
  sum(relu(x) * 3.0).backward();
  require_values(x.grad(), {4}, {0.0, 0.0, 3.0, 3.0});
}

TEST_CASE("fill_ and mul_ write in place, through views", "[elementwise][inplace]") {
  Tensor a = Tensor::zeros({3, 4}, DType::Float64);
  a.slice(1, 1, 3).fill_(2.5);  // non-contiguous region
  require_values(a, {3, 4}, {0, 2.5, 2.5, 0, 0, 2.5, 2.5, 0, 0, 2.5, 2.5, 0});
  a.transpose(0, 1).slice(0, 0, 1).fill_(-1);  // column 0 through a transpose
  require_values(a, {3, 4}, {-1, 2.5, 2.5, 0, -1, 2.5, 2.5, 0, -1, 2.5, 2.5, 0});
  a.mul_(2);
  require_values(a, {3, 4}, {-2, 5, 5, 0, -2, 5, 5, 0, -2, 5, 5, 0});
  a.slice(0, 1, 2).mul_(0.5);
  require_values(a, {3, 4}, {-2, 5, 5, 0, -1, 2.5, 2.5, 0, -2, 5, 5, 0});
  Tensor& same = a.zero_();
  REQUIRE(&same == &a);
  require_values(a, {3, 4}, std::vector<double>(12, 0.0));

  Tensor i = Tensor::zeros({3}, DType::Int64);
  i.fill_(7.9);
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 7, 7});
  i.mul_(3);
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{21, 21, 21});
  Tensor u = Tensor::zeros({2}, DType::UInt8).fill_(200);
  REQUIRE(u.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{200, 200});
}

TEST_CASE("add_ accumulates alpha * other, broadcasting other and converting its dtype", "[elementwise][inplace]") {
  Tensor a = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor& r = a.add_(Tensor::from_vector<double>({10, 20, 30}, {3}), 0.5);
  REQUIRE(&r == &a);
  require_values(a, {2, 3}, {6, 12, 18, 9, 15, 21});
  a.add_(Tensor::from_vector<double>({1, -1}, {2, 1}));
  require_values(a, {2, 3}, {7, 13, 19, 8, 14, 20});
  // Into a strided view, from a strided source.
  Tensor src = Tensor::from_vector<double>({1, 2, 3, 4}, {2, 2}).transpose(0, 1);  // 1 3 / 2 4
  a.slice(1, 1, 3).add_(src, -1.0);
  require_values(a, {2, 3}, {7, 12, 16, 8, 12, 16});
  // The same tensor on both sides doubles it.
  a.add_(a);
  require_values(a, {2, 3}, {14, 24, 32, 16, 24, 32});
  // A float32 source into a float64 destination is converted.
  a.add_(Tensor::from_vector<float>({0.5f, 0.5f, 0.5f}, {3}));
  require_values(a, {2, 3}, {14.5, 24.5, 32.5, 16.5, 24.5, 32.5});
  Tensor f = Tensor::zeros({2}, DType::Float32);
  f.add_(Tensor::from_vector<double>({0.25, 1e-3}, {2}), 2.0);
  require_values(f, {2}, {0.5, 2e-3}, 1e-9);

  std::string msg = error_message([&] { a.add_(Tensor::zeros({4}, DType::Float64)); });
  REQUIRE_THAT(msg, Catch::Contains("[4]") && Catch::Contains("[2, 3]"));
  msg = error_message([&] { Tensor::zeros({3}, DType::Float64).add_(a); });
  REQUIRE_THAT(msg, Catch::Contains("[2, 3]") && Catch::Contains("[3]"));
}

TEST_CASE("copy_ converts dtype and copies across layouts", "[elementwise][inplace]") {
  Tensor d = Tensor::from_vector<double>({1.25, -2.75, 3.5, 4.0, 5.5, 6.0}, {2, 3});
  Tensor f = Tensor::empty({2, 3}, DType::Float32);
  Tensor& r = f.copy_(d);
  REQUIRE(&r == &f);
  REQUIRE(f.to_vector<float>() == std::vector<float>{1.25f, -2.75f, 3.5f, 4.0f, 5.5f, 6.0f});
  Tensor i = Tensor::empty({6}, DType::Int64);  // same numel, other shape
  i.copy_(d);
  REQUIRE(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3, 4, 5, 6});
  Tensor back = Tensor::empty({3, 2}, DType::Float64);
  back.copy_(i);
  require_values(back, {3, 2}, {1, -2, 3, 4, 5, 6});

  // From a transposed source: row-major order of the source's logical view.
  Tensor t = Tensor::empty({3, 2}, DType::Float64);
  t.copy_(d.transpose(0, 1));
  require_values(t, {3, 2}, {1.25, 4.0, -2.75, 5.5, 3.5, 6.0});
  // Into a strided destination.
  Tensor dst = Tensor::zeros({3, 3}, DType::Float64);
  dst.slice(1, 1, 3).copy_(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2}));
  require_values(dst, {3, 3}, {0, 1, 2, 0, 3, 4, 0, 5, 6});
  // Into a transposed destination from a flat source of the same numel.
  Tensor m = Tensor::zeros({2, 3}, DType::Float64);
  m.transpose(0, 1).copy_(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {6}));
  require_values(m, {2, 3}, {1, 3, 5, 2, 4, 6});

  std::string msg = error_message([&] { f.copy_(Tensor::zeros({4})); });
  REQUIRE_THAT(msg, Catch::Contains("[4]") && Catch::Contains("[2, 3]"));
}

TEST_CASE("in-place ops are not recorded by autograd", "[elementwise][inplace]") {
  Tensor x = rand({3}, 15).set_requires_grad(true);
  Tensor y = x * 2.0;
  REQUIRE(y.grad_fn() != nullptr);
  Tensor z = Tensor::zeros({3}, DType::Float64);
  z.add_(y);
  z.copy_(y);
  REQUIRE(z.grad_fn() == nullptr);
  REQUIRE(!z.requires_grad());
}

TEST_CASE("element-wise ops and their gradients accept zero-size tensors", "[elementwise][empty]") {
  Tensor a = Tensor::zeros({0, 3}, DType::Float64).set_requires_grad(true);
  Tensor b = rand({3}, 16).set_requires_grad(true);
  Tensor y = sigmoid(exp(a * b + 1.0) - relu(a) / b);
  y = tanh(log(sqrt(pow_scalar(neg(y), 2.0))));
  REQUIRE(y.shape() == Shape{0, 3});
  sum(y).backward();
  REQUIRE(a.grad().shape() == Shape{0, 3});
  require_values(b.grad(), {3}, {0, 0, 0});
  REQUIRE(add(Tensor::zeros({0, 1}), Tensor::zeros({1, 4})).shape() == Shape{0, 4});
  error_message([] { add(Tensor::zeros({0, 3}), Tensor::zeros({2, 3})); });
}

TEST_CASE("Asking for a missing GPU is a veil::Error, not a crash", "[elementwise]") {
  // No machine has GPU 4096; without any GPU, GPU 0 is missing as well.
  error_message([] { Tensor::zeros({2}, DType::Float32, Device::cuda(4096)); });
  if (!cuda_available()) error_message([] { Tensor::zeros({2}, DType::Float32, Device::cuda()); });
}

TEST_CASE("CUDA element-wise ops agree with the CPU loops", "[elementwise][cuda]") {
  REQUIRE(cuda_available());  // this case runs only in the _cuda entry, which skips without a GPU
  const Device gpu = Device::cuda();
  const Tensor x = rand({5, 7}, 20, DType::Float32, 0.1, 3.0);
  const Tensor b = rand({7}, 21, DType::Float32);
  const Tensor xc = x.to(gpu), bc = b.to(gpu);
  REQUIRE(xc.device().is_cuda());
  using UnaryOp = Tensor (*)(const Tensor&);
  for (UnaryOp op : std::vector<UnaryOp>{&veil::neg, &veil::exp, &veil::log, &veil::sqrt, &veil::relu, &veil::tanh,
                                         &veil::sigmoid}) {
    require_same(op(xc).to(Device::cpu()), op(x), 1e-6, 1e-6);
    require_same(op(xc.transpose(0, 1)).to(Device::cpu()), op(x.transpose(0, 1)), 1e-6, 1e-6);
  }
  for (const auto& c : binary_cases()) {
    INFO(c.name);
    require_same(c.op(xc, bc).to(Device::cpu()), c.op(x, b), 1e-6, 1e-6);
    require_same(c.op(bc, xc.slice(0, 1, 3)).to(Device::cpu()), c.op(b, x.slice(0, 1, 3)), 1e-6, 1e-6);
  }
  require_same(pow_scalar(xc, 1.5).to(Device::cpu()), pow_scalar(x, 1.5), 1e-6, 1e-6);
  // eq on int64 (predicted classes against labels) and on floats, broadcast.
  const Tensor predicted = argmax(x, 1), labels = Tensor::from_vector<std::int64_t>({0, 3, 6, 2, 5}, {5});
  require_same(eq(predicted.to(gpu), labels.to(gpu)).to(Device::cpu()), eq(predicted, labels), 0, 0);
  require_same(eq(xc, xc.slice(0, 2, 3)).to(Device::cpu()), eq(x, x.slice(0, 2, 3)), 0, 0);
  Tensor y = xc.clone();
  y.mul_(2.0);
  y.add_(bc, -1.0);
  y.slice(1, 0, 2).fill_(4.0);
  Tensor expected = x.clone();
  expected.mul_(2.0);
  expected.add_(b, -1.0);
  expected.slice(1, 0, 2).fill_(4.0);
  require_same(y.to(Device::cpu()), expected, 1e-6, 1e-6);
  REQUIRE(exp(Tensor::zeros({0, 3}, DType::Float32, gpu)).shape() == Shape{0, 3});
}
