#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
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

TEST_CASE("GDP is exact without subsampling (q = 1)", "[privacy][gdp]") {
  // T steps at q = 1 compose to the Gaussian mechanism with mu = sqrt(T) / sigma.
  for (const double sigma : {0.01, 0.02, 0.03, 0.1, 1.0, 10.0}) {
    for (const std::int64_t steps : {1, 10}) {
      GdpAccountant accountant;
      accountant.step(sigma, 1.0, steps);
      CHECK(accountant.mu() == Approx(std::sqrt(double(steps)) / sigma).epsilon(1e-15));
      for (const double delta : {1e-3, 1e-5, 1e-10}) {
        INFO("sigma=" << sigma << " steps=" << steps << " delta=" << delta);
        CHECK(accountant.get_epsilon(delta).epsilon ==
              Approx(gaussian_dp_epsilon(std::sqrt(double(steps)) / sigma, delta)).epsilon(1e-12));
      }
    }
  }
  GdpAccountant single;
  single.step(0.01, 1.0, 1);
  CHECK(single.get_epsilon(1e-5).epsilon == Approx(5425.5).margin(0.1));
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
  // e^(1/sigma^2) overflows (and q^2 may underflow): no finite bound, never NaN.
  for (const double q : {1e-300, 1e-3, 1.0}) {
    for (const double sigma : {1e-160, 1e-5}) {
      if (q == 1.0 && sigma == 1e-5) continue;  // exact there: mu = 1e5, finite
      INFO("q=" << q << " sigma=" << sigma);
      GdpAccountant tiny;
      tiny.step(sigma, q, 1);
      CHECK(std::isinf(tiny.mu()));
      CHECK(std::isinf(tiny.get_epsilon(1e-5).epsilon));
    }
  }
}
