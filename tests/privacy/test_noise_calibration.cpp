#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "support/child_process.h"
#include "veil/core/error.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/noise_calibration.h"

using namespace veil::privacy;

namespace {

double epsilon_for(const std::string& name, double sigma, double q, std::int64_t steps,
                   double delta) {
  auto accountant = make_accountant(name);
  accountant->step(sigma, q, steps);
  return accountant->get_epsilon(delta).epsilon;
}

}  // namespace

TEST_CASE("calibrated sigma never overshoots and lands within 1% of the target",
          "[privacy][calibration]") {
  const double q = 1.0 / 300;
  const std::int64_t steps = 3000;
  const double delta = 1e-5;
  const double tolerance = 1e-3;
  for (const double target : {0.5, 1.0, 2.0, 4.0, 8.0}) {
    const double sigma = noise_for_epsilon(target, delta, q, steps, "rdp", tolerance);
    const double epsilon = epsilon_for("rdp", sigma, q, steps, delta);
    INFO("target=" << target << " sigma=" << sigma << " epsilon=" << epsilon);
    CHECK(epsilon <= target);
    CHECK(epsilon >= 0.99 * target);
    // A visibly smaller sigma misses the target: this is (near) the smallest.
    CHECK(epsilon_for("rdp", sigma * (1 - 2 * tolerance), q, steps, delta) > target);
  }
}

TEST_CASE("calibration meets Opacus's stopping rule on its example", "[privacy][calibration]") {
  // Opacus's get_noise_multiplier example: epsilon 8, delta 1e-5, q 0.04, 90
  // epochs (2250 steps); it stops once epsilon is within 0.01 below the target.
  const double sigma = noise_for_epsilon(8.0, 1e-5, 0.04, 2250);
  const double epsilon = epsilon_for("rdp", sigma, 0.04, 2250, 1e-5);
  CHECK(epsilon <= 8.0);
  CHECK(epsilon >= 7.99);
  CHECK(sigma == Approx(1.416).margin(2e-3));
}

TEST_CASE("calibration works with the PRV and GDP accountants", "[privacy][calibration]") {
  for (const std::string name : {"prv", "gdp"}) {
    const double sigma = noise_for_epsilon(1.0, 1e-5, 0.01, 500, name, 1e-3);
    const double epsilon = epsilon_for(name, sigma, 0.01, 500, 1e-5);
    INFO(name << " sigma=" << sigma << " epsilon=" << epsilon);
    CHECK(epsilon <= 1.0);
    CHECK(epsilon >= 0.99);
  }
  // The tighter PRV bound needs less noise than RDP for the same target.
  CHECK(noise_for_epsilon(1.0, 1e-5, 0.01, 500, "prv") < noise_for_epsilon(1.0, 1e-5, 0.01, 500, "rdp"));
}

TEST_CASE("calibration reports impossible targets and bad arguments", "[privacy][calibration]") {
  // RDP over orders <= 63 cannot certify epsilon 0.05 at delta 1e-5 with any noise.
  CHECK_THROWS_WITH(noise_for_epsilon(0.05, 1e-5, 0.01, 100, "rdp"), Catch::Contains("out of reach"));
  CHECK_THROWS_AS(noise_for_epsilon(0.0, 1e-5, 0.01, 100), veil::Error);
  CHECK_THROWS_AS(noise_for_epsilon(1.0, 0.0, 0.01, 100), veil::Error);
  CHECK_THROWS_AS(noise_for_epsilon(1.0, 1e-5, 0.0, 100), veil::Error);
  CHECK_THROWS_AS(noise_for_epsilon(1.0, 1e-5, 1.5, 100), veil::Error);
  CHECK_THROWS_AS(noise_for_epsilon(1.0, 1e-5, 0.01, 0), veil::Error);
  CHECK_THROWS_AS(noise_for_epsilon(1.0, 1e-5, 0.01, 100, "rdp", 0.0), veil::Error);
  CHECK_THROWS_WITH(noise_for_epsilon(1.0, 1e-5, 0.01, 100, "nope"), Catch::Contains("unknown accountant"));
}

TEST_CASE("calibration ends for a tolerance finer than a double can resolve", "[privacy][calibration]") {
  double sigma = 0.0;
  const auto result = veil::testing::run_in_child(
      [&] {
        sigma = noise_for_epsilon(1.0, 1e-5, 0.01, 1000, "rdp", 1e-17);
        if (!(epsilon_for("rdp", sigma, 0.01, 1000, 1e-5) <= 1.0)) throw std::runtime_error("overshoot");
      },
      60);
  INFO(result.describe());
  REQUIRE(result.finished);
  REQUIRE(result.status == 0);
}
