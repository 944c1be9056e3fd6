#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/rdp_accountant.h"

using namespace veil::privacy;

namespace {

double rdp_epsilon(double sigma, double q, std::int64_t steps, double delta) {
  RdpAccountant accountant;
  accountant.step(sigma, q, steps);
  return accountant.get_epsilon(delta).epsilon;
}

// Independent oracle: D_a(P || N(0, s^2)) with P = (1-q) N(0,s^2) + q N(1,s^2),
// from the definition, integrated by composite Simpson in log-scaled form:
// A = int N(x; 0, s^2) (1 - q + q exp((2x - 1) / (2 s^2)))^a dx.
double rdp_by_integration(double q, double sigma, double order) {
  const auto log_integrand = [&](double x) {
    const double log_ratio =
        log_add(std::log1p(-q), std::log(q) + (2 * x - 1) / (2 * sigma * sigma));
    return -x * x / (2 * sigma * sigma) - std::log(sigma * std::sqrt(2 * std::numbers::pi)) + order * log_ratio;
  };
  // The integrand is a blend of Gaussians of width sigma centred in [0, order].
  const double low = -40 * sigma - 1;
  const double high = order + 40 * sigma + 1;
  const int intervals = 100000;  // even; Simpson's error is far below the tolerance
  const double width = (high - low) / intervals;
  double top = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= intervals; ++i) top = std::max(top, log_integrand(low + i * width));
  double sum = 0;
  for (int i = 0; i <= intervals; ++i) {
    const double weight = (i == 0 || i == intervals) ? 1 : (i % 2 ? 4 : 2);
    sum += weight * std::exp(log_integrand(low + i * width) - top);
  }
  const double log_a = top + std::log(sum * width / 3);
  return log_a / (order - 1);
}

}  // namespace

TEST_CASE("RDP matches numerical integration at integer and fractional orders", "[privacy][rdp]") {
  struct Setting {
    double q, sigma;
  };
  for (const Setting setting : {Setting{0.01, 1.0}, Setting{0.1, 0.8}, Setting{0.5, 2.0},
                                Setting{1.0 / 300, 1.0}, Setting{0.9, 1.5}}) {
    for (const double order : {1.5, 2.0, 2.5, 3.0, 4.7, 5.0, 8.0, 10.3, 16.0, 32.0}) {
      const double expected = rdp_by_integration(setting.q, setting.sigma, order);
      const double actual = subsampled_gaussian_rdp(setting.q, setting.sigma, order);
      INFO("q=" << setting.q << " sigma=" << setting.sigma << " order=" << order);
      CHECK(actual == Approx(expected).epsilon(1e-7).margin(1e-12));
    }
  }
}

TEST_CASE("RDP closed forms at q = 1 and q = 0", "[privacy][rdp]") {
  for (const double order : {1.1, 2.0, 7.5, 63.0}) {
    CHECK(subsampled_gaussian_rdp(1.0, 0.7, order) == Approx(order / (2 * 0.49)).epsilon(1e-15));
    CHECK(subsampled_gaussian_rdp(0.0, 0.7, order) == 0.0);
  }
}

TEST_CASE("RDP stays finite for large orders and small noise", "[privacy][rdp]") {
  for (const double order : {10.5, 63.0}) {
    const double rdp = subsampled_gaussian_rdp(0.5, 0.1, order);
    CHECK(std::isfinite(rdp));
    CHECK(rdp > 10.0);
  }
  // Huge noise: essentially no privacy loss, and the series still ends.
  CHECK(subsampled_gaussian_rdp(0.01, 1e6, 1.5) == Approx(0.0).margin(1e-15));
  CHECK(subsampled_gaussian_rdp(0.01, 1e6, 2.0) == Approx(0.0).margin(1e-15));
}

TEST_CASE("RDP fractional orders stay accurate for small noise", "[privacy][rdp]") {
  // The series' exponents grow like i^2 / sigma^2 and must be combined with
  // erfc's e^(-x^2) before they are added.
  for (const double sigma : {0.05, 0.1}) {
    for (const double order : {1.5, 2.5, 6.3}) {
      INFO("sigma=" << sigma << " order=" << order);
      CHECK(subsampled_gaussian_rdp(0.1, sigma, order) ==
            Approx(rdp_by_integration(0.1, sigma, order)).epsilon(1e-7));
    }
  }
  // Fractional orders next to an integer agree with its exact expansion.
  for (const double sigma : {1e-3, 0.01}) {
    CHECK(subsampled_gaussian_rdp(0.01, sigma, 3.0 + 1e-9) ==
          Approx(subsampled_gaussian_rdp(0.01, sigma, 3.0)).epsilon(1e-6));
  }
}

TEST_CASE("RDP is +inf where 1/sigma^2 overflows, never NaN or 0", "[privacy][rdp]") {
  // sigma^2 underflows below ~1e-154: the terms were NaN, and max(0, NaN) = 0.
  for (const double sigma : {1e-160, 1e-300}) {
    for (const double q : {1e-6, 0.5, 1.0}) {
      for (const double order : {1.5, 2.0, 10.9, 63.0}) {
        INFO("sigma=" << sigma << " q=" << q << " order=" << order);
        CHECK(subsampled_gaussian_rdp(q, sigma, order) == std::numeric_limits<double>::infinity());
      }
      RdpAccountant accountant;
      accountant.step(sigma, q, 1);
      CHECK(std::isinf(accountant.get_epsilon(1e-5).epsilon));
    }
  }
  // Huge sigma: sigma^2 overflows; the RDP is 0 up to rounding.
  for (const double order : {1.5, 2.0}) {
    const double rdp = subsampled_gaussian_rdp(0.5, 1e200, order);
    CHECK(rdp >= 0.0);
    CHECK(rdp < 1e-300);
  }
  const std::vector<double> orders = {2.0, 3.0};
  const std::vector<double> with_nan = {std::numeric_limits<double>::quiet_NaN(), 1.0};
  CHECK_THROWS_WITH(rdp_to_epsilon(orders, with_nan, 1e-5), Catch::Contains("RDP values must be >= 0"));
  const std::vector<double> bad_orders = {0.5, 3.0};
  const std::vector<double> zeros = {0.0, 0.0};
  CHECK_THROWS_WITH(rdp_to_epsilon(bad_orders, zeros, 1e-5), Catch::Contains("Renyi orders must be > 1"));
}

TEST_CASE("RDP accountant reproduces published reference values", "[privacy][rdp]") {
  // Opacus tests/accountants_test.py: sigma 1.5, q 0.04, 90 epochs (2250 steps).
  CHECK(rdp_epsilon(1.5, 0.04, 2250, 1e-5) == Approx(7.32911117143).epsilon(1e-8));
  // Opacus MNIST example: batch 200 of 60000 (q = 1/300), sigma 1.0, delta 1e-5:
  // epsilon ~0.87 after one epoch, ~1.21 after ten.
  CHECK(rdp_epsilon(1.0, 1.0 / 300, 300, 1e-5) == Approx(0.87).margin(0.005));
  CHECK(rdp_epsilon(1.0, 1.0 / 300, 3000, 1e-5) == Approx(1.21).margin(0.005));
}

TEST_CASE("RDP epsilon is monotone in steps, noise and sample rate", "[privacy][rdp]") {
  double previous = 0.0;
  for (const std::int64_t steps : {1, 10, 100, 1000, 10000}) {
    const double epsilon = rdp_epsilon(1.0, 0.01, steps, 1e-5);
    CHECK(epsilon > previous);
    previous = epsilon;
  }
  previous = std::numeric_limits<double>::infinity();
  for (const double sigma : {0.5, 0.8, 1.0, 2.0, 4.0}) {
    const double epsilon = rdp_epsilon(sigma, 0.01, 1000, 1e-5);
    CHECK(epsilon < previous);
    previous = epsilon;
  }
  previous = 0.0;
  for (const double q : {0.001, 0.01, 0.1, 0.5, 1.0}) {
    const double epsilon = rdp_epsilon(1.0, q, 100, 1e-5);
    CHECK(epsilon > previous);
    previous = epsilon;
  }
}

TEST_CASE("RDP composes over steps and changing (q, sigma)", "[privacy][rdp]") {
  RdpAccountant split;
  for (int i = 0; i < 10; ++i) split.step(1.1, 0.02, 100);
  RdpAccountant whole;
  whole.step(1.1, 0.02, 1000);
  CHECK(split.history().entries().size() == 1);
  CHECK(split.get_epsilon(1e-5).epsilon == whole.get_epsilon(1e-5).epsilon);

  RdpAccountant first;
  first.step(1.0, 0.01, 500);
  RdpAccountant second;
  second.step(2.0, 0.05, 300);
  RdpAccountant mixed;
  mixed.step(1.0, 0.01, 500);
  mixed.step(2.0, 0.05, 300);
  const std::vector<double> a = first.composed_rdp();
  const std::vector<double> b = second.composed_rdp();
  const std::vector<double> total = mixed.composed_rdp();
  for (std::size_t k = 0; k < total.size(); ++k) CHECK(total[k] == Approx(a[k] + b[k]).epsilon(1e-14));
  const double mixed_epsilon = mixed.get_epsilon(1e-5).epsilon;
  CHECK(mixed_epsilon > first.get_epsilon(1e-5).epsilon);
  CHECK(mixed_epsilon > second.get_epsilon(1e-5).epsilon);
}

TEST_CASE("Balle et al. conversion, best order and clamping", "[privacy][rdp]") {
  const std::vector<double> orders = {2.0};
  const std::vector<double> rdp = {1.0};
  // 1 - (log 1e-5 + log 2) / 1 + log(1/2)
  const EpsilonResult result = rdp_to_epsilon(orders, rdp, 1e-5);
  CHECK(result.epsilon == Approx(1.0 - std::log(1e-5) - 2 * std::log(2.0)).epsilon(1e-14));
  CHECK(result.best_order == 2.0);

  const std::vector<double> two_orders = {2.0, 32.0};
  const std::vector<double> zero = {0.0, 0.0};
  const EpsilonResult clamped = rdp_to_epsilon(two_orders, zero, 0.5);
  CHECK(clamped.epsilon == 0.0);
  CHECK(clamped.best_order == 2.0);  // -log 2 at order 2 beats order 32

  const std::vector<double> infinite = {std::numeric_limits<double>::infinity()};
  const EpsilonResult none = rdp_to_epsilon(orders, infinite, 1e-5);
  CHECK(std::isinf(none.epsilon));
  CHECK(std::isnan(none.best_order));

  RdpAccountant accountant;
  accountant.step(1.0, 1.0 / 300, 3000);
  const EpsilonResult best = accountant.get_epsilon(1e-5);
  const auto& all_orders = accountant.orders();
  CHECK(std::find(all_orders.begin(), all_orders.end(), best.best_order) != all_orders.end());
}

TEST_CASE("RDP edge cases and argument errors", "[privacy][rdp]") {
  RdpAccountant empty;
  CHECK(empty.get_epsilon(1e-5).epsilon == 0.0);
  RdpAccountant unsampled;
  unsampled.step(1.0, 0.0, 1000);
  CHECK(unsampled.get_epsilon(1e-5).epsilon == 0.0);

  const std::vector<double> defaults = default_rdp_orders();
  REQUIRE(defaults.size() == 99 + 52);
  CHECK(defaults.front() == 1.1);
  CHECK(defaults[98] == 10.9);
  CHECK(defaults[99] == 12.0);
  CHECK(defaults.back() == 63.0);

  RdpAccountant accountant;
  accountant.step(1.0, 0.01, 10);
  CHECK_THROWS_AS(accountant.get_epsilon(0.0), veil::Error);
  CHECK_THROWS_AS(accountant.get_epsilon(1.0), veil::Error);
  CHECK_THROWS_AS(accountant.step(1.0, 1.5), veil::Error);
  CHECK_THROWS_AS(accountant.step(-1.0, 0.1), veil::Error);
  CHECK_THROWS_AS(accountant.step(1.0, 0.1, -1), veil::Error);
  CHECK_THROWS_AS(RdpAccountant({1.0, 2.0}), veil::Error);
  CHECK_THROWS_AS(subsampled_gaussian_rdp(0.1, 1.0, 0.5), veil::Error);
}
