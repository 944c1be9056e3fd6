#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "veil/core/error.h"
#include "veil/privacy/gdp_accountant.h"
#include "veil/privacy/prv_accountant.h"

using namespace veil::privacy;

TEST_CASE("GDP mu follows the Poisson central-limit formula", "[privacy][gdp]") {
  GdpAccountant accountant;
  accountant.step(1.5, 0.04, 2249);
  CHECK(accountant.mu() == Approx(0.04 * std::sqrt(2249 * std::expm1(1 / 2.25))).epsilon(1e-14));
  accountant.step(1.0, 0.01, 100);
  const double mu_squared = 2249 * 0.04 * 0.04 * std::expm1(1 / 2.25) + 100 * 1e-4 * std::expm1(1.0);
  CHECK(accountant.mu() == Approx(std::sqrt(mu_squared)).epsilon(1e-14));
}

TEST_CASE("GDP accountant reproduces the Opacus reference", "[privacy][gdp]") {
  // Opacus tests/accountants_test.py: sigma 1.5, q 0.04, int(90 // 0.04) = 2249 steps.
  GdpAccountant accountant;
  accountant.step(1.5, 0.04, 2249);
  const double epsilon = accountant.get_epsilon(1e-5).epsilon;
  CHECK(epsilon > 6.59);
  CHECK(epsilon < 6.6);
}

TEST_CASE("mu-GDP curve and its inverse", "[privacy][gdp]") {
  for (const double mu : {0.1, 1.0, 3.0, 30.0}) {
    for (const double delta : {1e-3, 1e-5, 1e-9}) {
      const double epsilon = gaussian_dp_epsilon(mu, delta);
      INFO("mu=" << mu << " delta=" << delta);
      if (epsilon > 0) CHECK(gaussian_dp_delta(mu, epsilon) == Approx(delta).epsilon(1e-6));
      CHECK(gaussian_dp_delta(mu, epsilon + 0.1) < delta);
    }
  }
  // At epsilon 0 the curve is the total variation Phi(mu/2) - Phi(-mu/2).
  CHECK(gaussian_dp_delta(1.0, 0.0) == Approx(0.38292492254802624).epsilon(1e-12));
  CHECK(gaussian_dp_epsilon(0.001, 1e-3) == 0.0);
  CHECK(std::isinf(gaussian_dp_epsilon(std::numeric_limits<double>::infinity(), 1e-5)));
  // Large mu: e^epsilon alone would overflow, the curve must not.
  CHECK(std::isfinite(gaussian_dp_epsilon(60.0, 1e-5)));
}

TEST_CASE("GDP is an approximation that can fall below a certified bound", "[privacy][gdp]") {
  // Few steps at a large sample rate: far from the central-limit regime.
  GdpAccountant gdp;
  gdp.step(0.8, 0.05, 100);
  PrvAccountant prv;
  prv.step(0.8, 0.05, 100);
  CHECK(gdp.get_epsilon(1e-6).epsilon < prv.get_epsilon(1e-6).epsilon - 1.0);
}

TEST_CASE("GDP edge cases", "[privacy][gdp]") {
  GdpAccountant empty;
  CHECK(empty.get_epsilon(1e-5).epsilon == 0.0);
  GdpAccountant unsampled;
  unsampled.step(0.01, 0.0, 100);
  CHECK(unsampled.mu() == 0.0);
  CHECK_THROWS_AS(empty.get_epsilon(0.0), veil::Error);
  CHECK_THROWS_AS(gaussian_dp_delta(-1.0, 1.0), veil::Error);
}
