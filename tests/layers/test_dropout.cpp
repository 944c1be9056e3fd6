#include <catch2/catch.hpp>
#include <cmath>

#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/core/philox_kernels.h"
#include "veil/layers/dropout.h"
#include "veil/layers/linear.h"

using namespace veil;

namespace {

double zero_fraction(const Tensor& t) {
  const auto v = t.to_vector<double>();
  double zeros = 0;
  for (double x : v) zeros += x == 0.0;
  return zeros / static_cast<double>(v.size());
}

}  // namespace

TEST_CASE("Dropout zeroes a fraction p and scales the rest by 1/(1-p)", "[layers][dropout]") {
  const std::int64_t n = 20000;
  for (double p : {0.1, 0.3, 0.5, 0.8}) {
    Dropout dropout(p, 17);
    const Tensor y = dropout(Tensor::ones({4, n / 4}));
    // sd of the fraction is sqrt(p (1-p) / n) <= 0.0036; allow six of them.
    INFO("p " << p);
    REQUIRE(std::fabs(zero_fraction(y) - p) < 0.022);
    std::int64_t other_values = 0;
    for (double v : y.to_vector<double>()) other_values += v != 0.0 && std::fabs(v - 1.0 / (1.0 - p)) > 1e-5;
    REQUIRE(other_values == 0);
    // The scale keeps the mean.
    REQUIRE(std::fabs(mean(y).item() - 1.0) < 0.05);
  }
  Dropout keep_all(0.0, 1), drop_all(1.0, 1);
  const Tensor x = Tensor::uniform({50}, -1, 1, 2);
  REQUIRE(max_abs_diff(keep_all(x), x) == 0.0);
  REQUIRE(zero_fraction(drop_all(x)) == 1.0);
  REQUIRE_THROWS_AS(Dropout(1.5), Error);
  REQUIRE_THROWS_AS(Dropout(-0.1), Error);
}

TEST_CASE("Dropout masks are reproducible from the seed and change every call", "[layers][dropout]") {
  Dropout a(0.5, 42), b(0.5, 42), other_seed(0.5, 43);
  const Tensor x = Tensor::ones({1000});
  const Tensor a1 = a(x), a2 = a(x);
  REQUIRE(a.calls() == 2);
  REQUIRE(max_abs_diff(a1, b(x)) == 0.0);
  REQUIRE(max_abs_diff(a2, b(x)) == 0.0);
  REQUIRE(max_abs_diff(a1, a2) > 0.0);
  REQUIRE(max_abs_diff(a1, other_seed(x)) > 0.0);
  // The mask does not depend on the dtype.
  Dropout c(0.5, 42);
  REQUIRE(max_abs_diff(c(x.to(DType::Float64)), a1) == 0.0);
}

TEST_CASE("Dropout is the identity in eval mode", "[layers][dropout]") {
  Dropout dropout(0.5, 3);
  dropout.eval();
  const Tensor x = Tensor::uniform({3, 7}, -1, 1, 4);
  REQUIRE(max_abs_diff(dropout(x), x) == 0.0);
  REQUIRE(dropout.calls() == 0);
  dropout.train();
  REQUIRE(zero_fraction(dropout(x)) > 0.0);
}

TEST_CASE("Dropout backward applies the same mask", "[layers][dropout]") {
  Dropout dropout(0.4, 9);
  Tensor x = Tensor::uniform({6, 50}, 0.5, 1.5, 5, 0, DType::Float64);  // no zeros of its own
  x.set_requires_grad(true);
  const Tensor w = Tensor::uniform({6, 50}, -1, 1, 6, 0, DType::Float64);
  const Tensor y = dropout(x);
  sum(mul(y, w)).backward();
  // dL/dx = w * m / (1 - p), and y = x * m / (1 - p).
  const auto grad = x.grad().to_vector<double>(), out = y.to_vector<double>(), in = x.to_vector<double>(),
             weights = w.to_vector<double>();
  for (std::size_t j = 0; j < grad.size(); ++j) REQUIRE(grad[j] == Approx(weights[j] * out[j] / in[j]).margin(1e-12));
  // An empty batch flows through.
  Tensor empty = Tensor::zeros({0, 4});
  empty.set_requires_grad(true);
  sum(dropout(empty)).backward();
  REQUIRE(empty.grad().shape() == Shape{0, 4});
}

TEST_CASE("Dropout masks come from the dropout streams, not the weight-initialisation streams", "[layers][dropout]") {
  const std::uint64_t seed = 7;
  const std::int64_t n = 4096;
  const double p = 0.5;
  Dropout dropout(p, seed);
  const Tensor x = Tensor::ones({n});
  for (std::uint64_t call = 0; call < 2; ++call) {
    const auto y = dropout(x).to_vector<double>();
    // Expected: uniforms of Philox stream (kDropoutPurpose, call) under the seed.
    const Tensor uniforms = Tensor::empty({n});
    philox_fill_uniform_(uniforms, PhiloxState{seed, philox_stream(kDropoutPurpose, call), 0, 0}, 0.0, 1.0);
    const std::vector<float> u = uniforms.to_vector<float>();
    // What the general stream (Tensor::uniform, weight initialisation) would give.
    const auto general = Tensor::uniform({n}, 0.0, 1.0, seed, call).to_vector<float>();
    std::int64_t agree_general = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      REQUIRE(y[j] == (u[j] >= p ? 2.0 : 0.0));
      agree_general += (general[j] >= p) == (y[j] != 0.0);
    }
    // Independent of the general stream: about half the decisions agree.
    INFO("call " << call << ": " << agree_general << " of " << n << " agree with the general stream");
    REQUIRE(agree_general < n * 0.55);
    REQUIRE(agree_general > n * 0.45);
  }
  // The concrete overlap this avoids: a Linear built with the same seed draws
  // its weights from the general streams; the mask is not a function of them.
  Linear linear(64, 64, seed);
  Dropout same_seed(p, seed);
  const auto w = linear.weight().to_vector<double>();
  const auto mask = same_seed(Tensor::ones({64 * 64})).to_vector<double>();
  const double bound = 1.0 / 8.0;  // weights are uniform in +-1/sqrt(64)
  std::int64_t agree = 0;
  for (std::size_t j = 0; j < w.size(); ++j) agree += ((w[j] + bound) / (2 * bound) >= p) == (mask[j] != 0.0);
  REQUIRE(agree < 0.55 * static_cast<double>(w.size()));
  REQUIRE(agree > 0.45 * static_cast<double>(w.size()));
}

TEST_CASE("Dropout's mask sequence resumes from its state dict", "[layers][dropout]") {
  Dropout original(0.5, 21);
  const Tensor x = Tensor::ones({4, 8});
  original(x);
  original(x);
  const StateDict saved = original.state_dict();
  REQUIRE(saved.count("calls") == 1);
  const Tensor third = original(x);
  Dropout resumed(0.5, 21);
  resumed.load_state_dict(saved);
  REQUIRE(resumed.calls() == 2);
  REQUIRE(max_abs_diff(resumed(x), third) == 0.0);
  Dropout fresh(0.5, 21);
  REQUIRE(max_abs_diff(fresh(x), third) > 0.0);  // a fresh one starts the sequence over
}
