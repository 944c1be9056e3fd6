#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/privacy/lattice_composition.h"

using namespace veil::privacy;

namespace {

// Direct convolution of `count` copies of pmf, indexed from count * first_index.
std::vector<double> convolve_power(const LatticePmf& pmf, std::int64_t count) {
  std::vector<double> result{1.0};
  for (std::int64_t c = 0; c < count; ++c) {
    std::vector<double> next(result.size() + pmf.mass.size() - 1, 0.0);
    for (std::size_t i = 0; i < result.size(); ++i) {
      for (std::size_t j = 0; j < pmf.mass.size(); ++j) next[i + j] += result[i] * pmf.mass[j];
    }
    result = next;
  }
  return result;
}

}  // namespace

TEST_CASE("compose_pairs equals direct convolution for both relations", "[privacy][lattice]") {
  LatticeFactor factor;
  factor.relations[0] = {-2, {0.1, 0.2, 0.3, 0.25, 0.1}};  // 0.05 missing: mass at +inf
  factor.relations[1] = {1, {0.5, 0.5}};
  factor.count = 7;
  const std::vector<LatticeFactor> factors{factor};
  // Sums lie in [-14, 14] (remove) and [7, 14] (add): a 32-point window from -14 holds both.
  const ComposedPair composed = compose_pairs(factors, -14, 32);
  const std::vector<double> remove = convolve_power(factor.relations[0], 7);  // indices -14 .. 14
  const std::vector<double> add = convolve_power(factor.relations[1], 7);     // indices 7 .. 14
  for (std::size_t i = 0; i < 32; ++i) {
    const double expected_remove = i < remove.size() ? remove[i] : 0.0;
    const std::int64_t index = -14 + std::int64_t(i);
    const double expected_add = index >= 7 && index <= 14 ? add[std::size_t(index - 7)] : 0.0;
    CHECK(composed.mass[0][i] == Approx(expected_remove).margin(1e-15));
    CHECK(composed.mass[1][i] == Approx(expected_add).margin(1e-15));
  }
  CHECK(composed.rounding_noise >= 0.0);
  CHECK(composed.rounding_noise < 1e-15);

  // A window too short wraps mass around: indices beyond it land modulo 16.
  const ComposedPair wrapped = compose_pairs(factors, -14, 16);
  CHECK(wrapped.mass[0][0] == Approx(remove[0] + remove[16]).margin(1e-15));
}

TEST_CASE("composed_window's Chernoff bounds hold for a binomial sum", "[privacy][lattice]") {
  LatticeFactor factor;
  factor.relations[0] = {0, {0.9, 0.1}};
  factor.relations[1] = {0, {0.9, 0.1}};
  factor.count = 200;
  const std::vector<LatticeFactor> factors{factor};
  const std::vector<double> exact = convolve_power(factor.relations[0], 200);
  for (const double tail : {1e-3, 1e-9}) {
    const IndexWindow window = composed_window(factors, 0, tail);
    double above = 0.0;
    double below = 0.0;
    for (std::size_t k = 0; k < exact.size(); ++k) {
      if (std::int64_t(k) > window.high) above += exact[k];
      if (std::int64_t(k) < window.low) below += exact[k];
    }
    INFO("tail " << tail << " window [" << window.low << ", " << window.high << "]");
    CHECK(above <= tail);
    CHECK(below <= tail);
    CHECK(window.low <= 20);
    CHECK(window.high >= 20);
    CHECK(window.high < 80);  // Chernoff, not the trivial bound 200
  }
}

TEST_CASE("smallest_epsilon inverts the discrete privacy curve exactly", "[privacy][lattice]") {
  const std::vector<double> mass{0.2, 0.3, 0.25, 0.15, 0.1};
  const double bottom = -0.5;
  const double mesh = 0.4;
  const auto curve = [&](double x) {
    double delta = 0.0;
    for (std::size_t i = 0; i < mass.size(); ++i) {
      const double y = bottom + double(i) * mesh;
      if (y > x) delta += mass[i] * (1 - std::exp(x - y));
    }
    return delta;
  };
  for (const double target : {0.001, 0.01, 0.05, 0.2, 0.5}) {
    const double x = smallest_epsilon(mass, bottom, mesh, target);
    INFO("target " << target << " x " << x);
    CHECK(curve(x) == Approx(target).epsilon(1e-12));
    CHECK(curve(x - 1e-9) > target);
  }
  CHECK(smallest_epsilon(mass, bottom, mesh, 1.0) == -INFINITY);
}
