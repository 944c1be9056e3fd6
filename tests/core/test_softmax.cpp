// softmax and log_softmax over a dimension.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/softmax_kernels.h"
#include "veil/core/tensor.h"

using namespace veil;
using namespace veil::testing;

namespace {

// softmax of a [R, C] tensor along `dim` in long double.
std::vector<double> naive_softmax2(const Tensor& x, int dim, bool log_space) {
  const std::int64_t r = x.size(0), c = x.size(1);
  const auto v = values(x);
  std::vector<double> out(v.size());
  const std::int64_t lines = dim == 0 ? c : r, len = dim == 0 ? r : c;
  for (std::int64_t l = 0; l < lines; ++l) {
    auto at = [&](std::int64_t i) { return dim == 0 ? i * c + l : l * c + i; };
    long double m = -INFINITY, z = 0;
    for (std::int64_t i = 0; i < len; ++i) m = std::max<long double>(m, v[at(i)]);
    for (std::int64_t i = 0; i < len; ++i) z += std::exp(static_cast<long double>(v[at(i)]) - m);
    for (std::int64_t i = 0; i < len; ++i) {
      const long double shifted = v[at(i)] - m;
      out[at(i)] = static_cast<double>(log_space ? shifted - std::log(z) : std::exp(shifted) / z);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("softmax and log_softmax over dim 0 and 1 match the definition", "[softmax]") {
  const Tensor x = rand({4, 6}, 1, DType::Float64, -3, 3);
  for (int dim : {0, 1, -1, -2}) {
    const int d = dim < 0 ? dim + 2 : dim;
    INFO("dim " << dim);
    require_values(softmax(x, dim), {4, 6}, naive_softmax2(x, d, false), 1e-15, 1e-13);
    require_values(log_softmax(x, dim), {4, 6}, naive_softmax2(x, d, true), 1e-14, 1e-13);
    require_values(softmax(x.to(DType::Float32), dim), {4, 6}, naive_softmax2(x, d, false), 1e-6, 1e-6);
    // A transposed input gives the transposed answer.
    require_same(softmax(x.transpose(0, 1), 1 - d), softmax(x, d).transpose(0, 1), 1e-15);
  }
}

TEST_CASE("softmax slices sum to one along the dim, for 3-D inputs", "[softmax]") {
  const Tensor x = rand({3, 4, 5}, 2, DType::Float64, -5, 5);
  for (int dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    const Tensor y = softmax(x, dim);
    const auto s = values(sum(y, {dim}));
    for (double v : s) REQUIRE(std::fabs(v - 1.0) < 1e-14);
    for (double v : values(y)) REQUIRE((v > 0.0 && v < 1.0));
    require_same(log_softmax(x, dim), log(y), 1e-13);
  }
}

TEST_CASE("softmax is stable for large inputs", "[softmax]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO(dtype);
    const Tensor x = Tensor::from_vector<double>({1000, 1000, 999, -1000, 0, 1000}, {2, 3}).to(dtype);
    const double e = std::exp(-1.0);
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-15;
    require_values(softmax(x, 1), {2, 3}, {1 / (2 + e), 1 / (2 + e), e / (2 + e), 0, 0, 1}, tol, tol);
    const Tensor ls = log_softmax(x, 1);
    for (double v : values(ls)) REQUIRE(std::isfinite(v));
    require_values(ls, {2, 3}, {-std::log(2 + e), -std::log(2 + e), -1 - std::log(2 + e), -2000, -1000, 0}, tol,
                   tol);
    // All-equal huge values give a uniform distribution.
    require_values(softmax(Tensor::full({1, 4}, 1e4, dtype), 1), {1, 4}, {0.25, 0.25, 0.25, 0.25}, tol);
    require_values(softmax(Tensor::full({1, 2}, -1e4, dtype), 1), {1, 2}, {0.5, 0.5}, tol);
  }
}

TEST_CASE("gradients of softmax and log_softmax", "[softmax][grad]") {
  const Tensor x2 = rand({3, 5}, 3, DType::Float64, -2, 2);
  const Tensor x3 = rand({2, 3, 4}, 4, DType::Float64, -2, 2);
  for (int dim : {0, 1, -1}) {
    INFO("dim " << dim);
    require_gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {x2});
    require_gradcheck([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {x2});
    require_gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0].transpose(0, 1), dim); }, {x2});
  }
  for (int dim : {0, 1, 2}) {
    INFO("3-D dim " << dim);
    require_gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {x3});
    require_gradcheck([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {x3});
  }
}

TEST_CASE("softmax over zero-size tensors and bad dims", "[softmax][empty]") {
  Tensor e = Tensor::zeros({0, 10}, DType::Float64).set_requires_grad(true);
  REQUIRE(softmax(e, 1).shape() == Shape{0, 10});
  REQUIRE(softmax(e, 0).shape() == Shape{0, 10});
  Tensor loss = sum(log_softmax(e, 1)) + sum(softmax(e, 1));
  loss.backward();
  REQUIRE(e.grad().shape() == Shape{0, 10});
  REQUIRE(log_softmax(Tensor::zeros({3, 0}), 1).shape() == Shape{3, 0});
  REQUIRE_THAT(error_message([] { softmax(Tensor::zeros({2, 3}), 2); }), Catch::Contains("rank 2"));
  REQUIRE_THAT(error_message([] { softmax(Tensor::scalar(1), 0); }), Catch::Contains("rank 0"));
}

TEST_CASE("cross-entropy kernels: scaled loss, probabilities and (probs - onehot) * factor", "[softmax]") {
  const Tensor logits = rand({4, 3}, 60, DType::Float64, -3.0, 3.0);
  const Tensor labels = Tensor::from_vector<std::int64_t>({2, 0, 1, 2}, {4});
  const CrossEntropyForward forward = cross_entropy_kernel(logits, labels, 0.5);
  const Tensor probs = softmax(logits, 1);
  require_same(forward.probs, probs, 1e-15);
  const auto p = values(probs), y = values(log_softmax(logits, 1));
  const std::vector<std::int64_t> label{2, 0, 1, 2};
  double loss = 0;
  for (int i = 0; i < 4; ++i) loss -= y[i * 3 + label[i]];
  CHECK(forward.loss.item() == Approx(0.5 * loss).epsilon(1e-14));
  const auto grad = values(cross_entropy_backward_kernel(forward.probs, labels, -2.0));
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 3; ++k)
      CHECK(grad[i * 3 + k] == Approx(-2.0 * (p[i * 3 + k] - (k == label[i] ? 1.0 : 0.0))).epsilon(1e-14));
  REQUIRE_THAT(error_message([&] { cross_entropy_kernel(logits, Tensor::from_vector<std::int64_t>({0, 3, 0, 0}, {4}), 1.0); }),
               Catch::Contains("label 3 of example 1 is outside [0, 3)"));
}
