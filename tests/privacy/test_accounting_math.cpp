#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"

using namespace veil::privacy;

namespace {

// delta(epsilon) of the Gaussian mechanism from its definition, independent of
// the closed form: with o ~ N(mu, 1) the privacy loss is Y = mu o - mu^2 / 2
// and delta = E[(1 - e^(epsilon - Y))_+], integrated by composite Simpson over
// o >= (epsilon + mu^2 / 2) / mu, where the integrand is positive.
double gaussian_delta_by_integration(double mu, double epsilon) {
  const double start = (epsilon + mu * mu / 2) / mu;
  const double end = std::max(start, mu) + 40.0;
  const int intervals = 200000;
  const double width = (end - start) / intervals;
  double sum = 0.0;
  for (int i = 0; i <= intervals; ++i) {
    const double o = start + i * width;
    const double density = std::exp(-0.5 * (o - mu) * (o - mu)) / std::sqrt(2 * std::numbers::pi);
    // 1 - e^(epsilon - Y) = -expm1(-mu (o - start)), exact near the start.
    const double value = density * -std::expm1(-mu * (o - start));
    sum += (i == 0 || i == intervals ? 1 : (i % 2 ? 4 : 2)) * value;
  }
  return sum * width / 3;
}

}  // namespace

TEST_CASE("log_erfcx is log(erfc(x) e^(x^2)) across the switch to the series", "[privacy][math]") {
  for (const double x : {-3.0, 0.0, 0.5, 3.0, 10.0, 24.9}) {
    CHECK(log_erfcx(x) == Approx(std::log(std::erfc(x)) + x * x).epsilon(1e-12));
  }
  // Continuous where the series takes over, and -log(x sqrt(pi)) far out.
  CHECK(log_erfcx(std::nextafter(25.0, 0.0)) == Approx(log_erfcx(25.0)).epsilon(1e-12));
  CHECK(log_erfcx(1e10) == Approx(-std::log(1e10 * std::sqrt(std::numbers::pi))).epsilon(1e-15));
  CHECK(log_erfcx(std::numeric_limits<double>::infinity()) == -std::numeric_limits<double>::infinity());
  CHECK(log_erfc(30.0) == Approx(log_erfcx(30.0) - 900.0).epsilon(1e-15));
}

TEST_CASE("Gaussian-mechanism curve matches its definition, integrated numerically", "[privacy][math]") {
  struct Case {
    double mu, epsilon;
  };
  for (const Case c : {Case{0.1, 0.0}, Case{0.1, 0.3}, Case{1.0, 0.5}, Case{1.0, 4.0}, Case{10.0, 60.0},
                       Case{100.0, 5425.5}, Case{100.0, 5300.0}}) {
    INFO("mu=" << c.mu << " epsilon=" << c.epsilon);
    CHECK(gaussian_dp_delta(c.mu, c.epsilon) ==
          Approx(gaussian_delta_by_integration(c.mu, c.epsilon)).epsilon(1e-8));
  }
  // At epsilon 0 the curve is the total variation Phi(mu/2) - Phi(-mu/2).
  CHECK(gaussian_dp_delta(1.0, 0.0) == Approx(0.38292492254802624).epsilon(1e-12));
  CHECK(gaussian_dp_delta(0.0, 1.0) == 0.0);
  CHECK(gaussian_dp_delta(std::numeric_limits<double>::infinity(), 1.0) == 1.0);
}

TEST_CASE("exact Gaussian epsilon: sigma 0.01 at delta 1e-5 is about 5425.5", "[privacy][math]") {
  const double epsilon = gaussian_dp_epsilon(1 / 0.01, 1e-5);
  CHECK(epsilon == Approx(5425.5).margin(0.1));
  CHECK(gaussian_dp_delta(100.0, epsilon) <= 1e-5);
  CHECK(gaussian_dp_delta(100.0, epsilon * (1 - 1e-12)) > 1e-5);
}

TEST_CASE("exact Gaussian epsilon inverts the curve from tiny to huge mu", "[privacy][math]") {
  for (const double mu : {1e-6, 1e-3, 0.1, 1.0, 3.0, 30.0, 100.0, 1e4, 1e10}) {
    for (const double delta : {0.5, 1e-3, 1e-5, 1e-10, 1e-100, 1e-300}) {
      INFO("mu=" << mu << " delta=" << delta);
      const double epsilon = gaussian_dp_epsilon(mu, delta);
      REQUIRE(std::isfinite(epsilon));
      if (epsilon == 0.0) {
        CHECK(gaussian_dp_log_delta(mu, 0.0) <= std::log(delta));
        continue;
      }
      CHECK(gaussian_dp_log_delta(mu, epsilon) <= std::log(delta));
      CHECK(gaussian_dp_log_delta(mu, epsilon) == Approx(std::log(delta)).epsilon(1e-6));
    }
  }
  // Huge mu: epsilon ~ mu^2 / 2 + mu z with Phi(-z) ~ delta, as the second term of the
  // curve fades; mu^2 / 2 alone must not cancel away the mu z part.
  const double mu = 1e10;
  const double z = 4.2648907939228256;  // Phi(-z) = 1e-5
  CHECK(gaussian_dp_epsilon(mu, 1e-5) == Approx(mu * mu / 2 + mu * z).epsilon(1e-12));
  CHECK(std::isinf(gaussian_dp_epsilon(1e200, 1e-5)));
  CHECK(std::isinf(gaussian_dp_epsilon(std::numeric_limits<double>::infinity(), 1e-5)));
  CHECK(gaussian_dp_epsilon(0.0, 1e-5) == 0.0);
  CHECK_THROWS_AS(gaussian_dp_epsilon(-1.0, 1e-5), veil::Error);
  CHECK_THROWS_AS(gaussian_dp_epsilon(1.0, 0.0), veil::Error);
  CHECK_THROWS_AS(gaussian_dp_log_delta(1.0, -1.0), veil::Error);
}
