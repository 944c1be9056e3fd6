// The backward engine: accumulation into .grad, shared subgraphs, GradMode,
// errors, freeing the graph, leaves and detach.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "support/core_check.h"
#include "veil/autograd/grad_mode.h"
#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("two backward calls accumulate into .grad", "[autograd]") {
  Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3}).set_requires_grad(true);
  REQUIRE(!x.grad().defined());
  sum(x * x).backward();  // d/dx = 2x
  require_values(x.grad(), {3}, {2, 4, 6});
  sum(x * 3.0).backward();  // + 3
  require_values(x.grad(), {3}, {5, 7, 9});
  // .grad is its own tensor, not an alias of a gradient the graph made.
  REQUIRE(x.grad().storage() != x.storage());
  x.set_grad(Tensor());
  REQUIRE(!x.grad().defined());
  sum(x).backward();
  require_values(x.grad(), {3}, {1, 1, 1});
  REQUIRE_THAT(error_message([&] { x.set_grad(Tensor::zeros({2}, DType::Float64)); }), Catch::Contains("[2]"));
}

TEST_CASE("a tensor used twice (a diamond) gets the sum of both paths", "[autograd]") {
  Tensor x = Tensor::from_vector<double>({0.5, -1.0}, {2}).set_requires_grad(true);
  Tensor a = exp(x);
  Tensor b = a * a;      // both operands the same tensor
  Tensor c = a + b;      // a used again
  Tensor loss = sum(c * x);  // and x used at the top too
  loss.backward();
  // loss = sum(x (e^x + e^2x)); d/dx = e^x + e^2x + x (e^x + 2 e^2x)
  std::vector<double> expected;
  for (double v : {0.5, -1.0})
    expected.push_back(std::exp(v) + std::exp(2 * v) + v * (std::exp(v) + 2 * std::exp(2 * v)));
  require_values(x.grad(), {2}, expected, 1e-14, 1e-14);
}

TEST_CASE("a gradient shared by two inputs of a node is not modified in place by accumulation", "[autograd]") {
  // add() passes its incoming gradient to both inputs as the same tensor. If
  // the engine later accumulated into one of them in place, the other input
  // would see the change. Here s = add(a, b) hands g to a's node and b's
  // node, and a's node also receives a second gradient from u = add(s, a).
  Tensor x = Tensor::from_vector<double>({0.3, -0.7}, {2}).set_requires_grad(true);
  Tensor a = exp(x);
  Tensor b = tanh(x);
  Tensor s = add(a, b);
  Tensor u = add(s, a);
  sum(u).backward();
  std::vector<double> expected;
  for (double v : {0.3, -0.7}) expected.push_back(2 * std::exp(v) + (1 - std::tanh(v) * std::tanh(v)));
  require_values(x.grad(), {2}, expected, 1e-14, 1e-14);

  require_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor a = exp(in[0]), b = tanh(in[0]);
        Tensor s = a + b;
        return s + a + sigmoid(s) * b;
      },
      {rand({3, 2}, 1)});
}

TEST_CASE("backward with an explicit gradient leaves that gradient untouched", "[autograd]") {
  Tensor x = Tensor::from_vector<double>({1, 2}, {2}).set_requires_grad(true);
  Tensor y = x + x;  // both inputs get the seed itself
  Tensor seed = Tensor::from_vector<double>({1, 10}, {2});
  y.backward(seed);
  require_values(x.grad(), {2}, {2, 20});
  require_values(seed, {2}, {1, 10});
  REQUIRE_THAT(error_message([&] { (x * 2.0).backward(Tensor::ones({3}, DType::Float64)); }),
               Catch::Contains("[3]") && Catch::Contains("[2]"));
  REQUIRE_THAT(error_message([&] { (x * 2.0).backward(Tensor::ones({2}, DType::Float32)); }),
               Catch::Contains("float32") && Catch::Contains("float64"));
}

TEST_CASE("NoGradGuard stops recording and restores the previous mode", "[autograd]") {
  Tensor x = rand({3}, 2).set_requires_grad(true);
  REQUIRE(GradMode::is_enabled());
  {
    NoGradGuard guard;
    REQUIRE(!GradMode::is_enabled());
    Tensor y = exp(x) * 2.0 + x;
    REQUIRE(y.grad_fn() == nullptr);
    REQUIRE(!y.requires_grad());
    REQUIRE(matmul(x.reshape({1, 3}), x.reshape({3, 1})).grad_fn() == nullptr);
    {
      NoGradGuard nested;
      REQUIRE(!GradMode::is_enabled());
    }
    REQUIRE(!GradMode::is_enabled());
    REQUIRE_THAT(error_message([&] { sum(y).backward(); }), Catch::Contains("does not require grad"));
  }
  REQUIRE(GradMode::is_enabled());
  Tensor z = exp(x);
  REQUIRE(z.grad_fn() != nullptr);
  REQUIRE(z.requires_grad());
  REQUIRE(!z.is_leaf());
  // backward() itself runs with recording off and leaves the mode as it was.
  sum(z).backward();
  REQUIRE(GradMode::is_enabled());
}

TEST_CASE("backward needs a scalar or an explicit gradient", "[autograd][errors]") {
  Tensor x = rand({2, 3}, 3).set_requires_grad(true);
  Tensor y = x * 2.0;
  REQUIRE_THAT(error_message([&] { y.backward(); }), Catch::Contains("[2, 3]"));
  REQUIRE_THAT(error_message([&] { Tensor().backward(); }), Catch::Contains("undefined"));
  REQUIRE_THAT(error_message([&] { rand({1}, 4).backward(); }), Catch::Contains("does not require grad"));
  // A one-element non-scalar is fine.
  sum(x, {0, 1}, true).backward();
  require_values(x.grad(), {2, 3}, std::vector<double>(6, 1.0));
}

TEST_CASE("backward twice through the same graph throws a clear error", "[autograd][errors]") {
  Tensor x = rand({3}, 5).set_requires_grad(true);
  Tensor loss = sum(exp(x) * x);
  loss.backward();
  const std::string msg = error_message([&] { loss.backward(); });
  REQUIRE_THAT(msg, Catch::Contains("backward") && Catch::Contains("twice"));
  // Not reported as a veil bug: it is a usage error.
  REQUIRE_THAT(msg, !Catch::Contains("veil bug"));
  // A new graph from the same leaves works.
  sum(exp(x) * x).backward();
}

TEST_CASE("the graph and its saved tensors are freed after backward", "[autograd]") {
  Tensor x = rand({4}, 6).set_requires_grad(true);
  std::weak_ptr<TensorImpl> saved;
  std::weak_ptr<Storage> saved_storage;
  std::weak_ptr<autograd::Node> inner_node;
  Tensor loss;
  {
    Tensor t = x * 2.0;  // an intermediate that log() saves for backward
    saved = t.impl_ptr();
    saved_storage = t.storage();
    inner_node = t.grad_fn();
    loss = sum(log(t * t + 1.0));
  }
  REQUIRE(!saved.expired());  // kept alive by the graph
  REQUIRE(!inner_node.expired());
  loss.backward();
  REQUIRE(saved.expired());
  REQUIRE(saved_storage.expired());
  REQUIRE(inner_node.expired());
  REQUIRE(x.grad().defined());

  // Dropping the output without backward frees the graph as well (no cycles
  // between outputs and the nodes that saved them).
  std::weak_ptr<TensorImpl> out_impl;
  std::weak_ptr<autograd::Node> node;
  {
    Tensor y = sigmoid(tanh(exp(sqrt(x * x))));
    out_impl = y.impl_ptr();
    node = y.grad_fn();
  }
  REQUIRE(out_impl.expired());
  REQUIRE(node.expired());
}

TEST_CASE("set_requires_grad is for floating-point leaves only", "[autograd][errors]") {
  Tensor x = rand({2}, 7).set_requires_grad(true);
  Tensor y = x * 2.0;
  REQUIRE_THAT(error_message([&] { y.set_requires_grad(true); }), Catch::Contains("non-leaf"));
  REQUIRE_THAT(error_message([&] { Tensor::zeros({2}, DType::Int64).set_requires_grad(true); }),
               Catch::Contains("int64"));
  Tensor leaf = Tensor::zeros({2});
  REQUIRE(leaf.is_leaf());
  REQUIRE(!leaf.requires_grad());
  leaf.set_requires_grad(true);
  REQUIRE(leaf.requires_grad());
  leaf.set_requires_grad(false);
  REQUIRE(!leaf.requires_grad());
  REQUIRE((leaf * 2.0).grad_fn() == nullptr);
}

TEST_CASE("detach shares data but cuts the graph", "[autograd]") {
  Tensor x = Tensor::from_vector<double>({1, 2}, {2}).set_requires_grad(true);
  Tensor y = x * 3.0;
  Tensor d = y.detach();
  REQUIRE(d.storage() == y.storage());
  REQUIRE(d.is_leaf());
  REQUIRE(!d.requires_grad());
  REQUIRE(d.grad_fn() == nullptr);
  // Gradient does not flow through the detached branch.
  sum(y * d).backward();  // d/dx = 3 * d = 9x
  require_values(x.grad(), {2}, {9, 18});
  d.fill_(0);  // shares storage with y
  require_values(y, {2}, {0, 0});
}

TEST_CASE("gradients flow through views and dtype conversions", "[autograd]") {
  require_gradcheck(
      [](const std::vector<Tensor>& in) {
        return in[0].reshape({3, 4}).transpose(0, 1).slice(0, 1, 3).flatten() * in[0].slice(0, 0, 1).reshape({1});
      },
      {rand({12}, 8)});
  require_gradcheck([](const std::vector<Tensor>& in) { return in[0].transpose(0, 1).contiguous().clone() * 2.0; },
                    {rand({2, 3}, 9)});
  require_gradcheck([](const std::vector<Tensor>& in) { return in[0].transpose(0, 1).reshape({-1}); },
                    {rand({2, 3}, 9)});
  // float32 <-> float64: gradients come back in the leaf's dtype.
  Tensor x = Tensor::from_vector<float>({1.5f, -2.0f}, {2}).set_requires_grad(true);
  Tensor y = x.to(DType::Float64);
  sum(y * y).backward();
  REQUIRE(x.grad().dtype() == DType::Float32);
  require_values(x.grad(), {2}, {3.0, -4.0});
}

TEST_CASE("a leaf that is the root of backward gets a gradient of ones", "[autograd]") {
  Tensor x = Tensor::from_vector<double>({2.0}, {1}).set_requires_grad(true);
  x.backward();
  require_values(x.grad(), {1}, {1});
}

TEST_CASE("branches that need no gradient are skipped", "[autograd]") {
  Tensor x = rand({3}, 10).set_requires_grad(true);
  Tensor c = rand({3}, 11);  // constant
  Tensor y = exp(c) * x + c * c;
  sum(y).backward();
  require_same(x.grad(), exp(c));
  REQUIRE(!c.grad().defined());
}

TEST_CASE("gradcheck catches a wrong gradient", "[autograd]") {
  // A deliberately wrong backward: the check must fail and say where.
  auto wrong = [](const std::vector<Tensor>& in) {
    Tensor out = exp(in[0].detach());
    return autograd::record_op("wrong_exp", out, {in[0]},
                               [](const Tensor& g) { return std::vector<Tensor>{mul_scalar(g, 2.0)}; });
  };
  Tensor x = rand({3}, 12).set_requires_grad(true);
  const auto result = autograd::gradcheck(wrong, {x});
  REQUIRE(!result.ok);
  REQUIRE_THAT(result.report, Catch::Contains("input 0"));
  REQUIRE(result.max_abs_error > 0.1);
  REQUIRE_THAT(error_message([&] { autograd::gradcheck(wrong, {Tensor::zeros({2}).set_requires_grad(true)}); }),
               Catch::Contains("float64"));
}
