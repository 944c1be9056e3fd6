#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/prv_accountant.h"
#include "veil/privacy/rdp_accountant.h"
#include "support/accountant_runs.h"
#include "support/test_data.h"

using namespace veil::privacy;
using veil::testing::prv;
using veil::testing::rdp_epsilon;

namespace {

// Exact epsilon of T Gaussian mechanisms with noise multiplier sigma (q = 1):
// their composition is the Gaussian mechanism with mu = sqrt(T) / sigma.
double exact_gaussian_epsilon(double sigma, double steps, double delta) {
  return gaussian_dp_epsilon(std::sqrt(steps) / sigma, delta);
}

}  // namespace

TEST_CASE("PRV brackets the exact composition of Gaussian mechanisms (q = 1)", "[privacy][prv]") {
  struct Case {
    double sigma;
    std::int64_t steps;
    double delta;
  };
  for (const Case c : {Case{10.0, 100, 1e-5}, Case{100.0, 10000, 1e-8}, Case{2.0, 16, 1e-5},
                       Case{0.8, 1, 1e-6}, Case{0.5, 10, 1e-5}}) {
    const double exact = exact_gaussian_epsilon(c.sigma, double(c.steps), c.delta);
    const PrvResult result = prv(c.sigma, 1.0, c.steps, c.delta);
    INFO("sigma=" << c.sigma << " steps=" << c.steps << " exact=" << exact);
    CHECK(result.epsilon >= exact);
    CHECK(result.epsilon <= exact + result.epsilon_error + 2e-3);
    CHECK(result.epsilon_error == Approx(0.01));
    // Both relations give the same Gaussian PRV when q = 1.
    CHECK(result.epsilon_add == Approx(result.epsilon_remove).margin(1e-3));
  }
}

TEST_CASE("PRV follows the privacy loss past e^709 (small sigma)", "[privacy][prv]") {
  // sigma 0.01 centres the loss at 5000: cutting it at the float range of
  // e^t gave 709.79 where the exact epsilon is 5425.5. PRV answers at
  // delta - eta (eta = 1e-3 delta), which here costs up to 0.03 of epsilon, so
  // its tightness is measured against the exact epsilon there.
  for (const double sigma : {0.01, 0.02, 0.03}) {
    for (const double delta : {1e-3, 1e-5, 1e-8}) {
      const double exact = exact_gaussian_epsilon(sigma, 1.0, delta);
      const double exact_below = exact_gaussian_epsilon(sigma, 1.0, delta * (1 - 1e-3));
      const PrvResult result = prv(sigma, 1.0, 1, delta);
      INFO("sigma=" << sigma << " delta=" << delta << " exact=" << exact);
      CHECK(result.epsilon >= exact);
      CHECK(result.epsilon <= exact_below + result.epsilon_error + 2e-3);
    }
  }
  // Subsampled: the remove relation of one step is q times a Gaussian curve
  // at e^epsilon' = 1 + (e^epsilon - 1) / q, which bounds PRV from below.
  const auto remove_epsilon = [](double delta) {
    const double inner = exact_gaussian_epsilon(0.01, 1.0, delta / 0.5);
    return inner + std::log(0.5) + std::log1p(0.5 * std::exp(-inner) / 0.5);
  };
  const PrvResult subsampled = prv(0.01, 0.5, 1, 1e-5);
  CHECK(subsampled.epsilon >= remove_epsilon(1e-5));
  CHECK(subsampled.epsilon <= remove_epsilon(1e-5 * (1 - 1e-3)) + subsampled.epsilon_error + 2e-3);
}

TEST_CASE("PRV coarsens the mesh for huge losses and refuses those past its range", "[privacy][prv]") {
  // sigma 1e-10: epsilon ~5e19, so the mesh is far above e^745 in scale; the
  // bound must stay finite, above the exact value, and relatively tight.
  const double exact = exact_gaussian_epsilon(1e-10, 1.0, 1e-5);
  const PrvResult huge = prv(1e-10, 1.0, 1, 1e-5);
  CHECK(huge.epsilon >= exact);
  CHECK(huge.epsilon <= exact * (1 + 1e-6));
  CHECK(huge.mesh > 1e3);
  for (const double q : {1e-3, 1.0}) {
    PrvAccountant accountant;
    accountant.step(1e-160, q, 10);
    CHECK_THROWS_WITH(accountant.compute(1e-5), Catch::Contains("noise multiplier 1e-160") &&
                                                    Catch::Contains("too small for the PRV accountant"));
  }
}

TEST_CASE("PRV refuses in plain words when its FFT loses accuracy over very many steps", "[privacy][prv]") {
  // 1e10 steps: rounding noise of the transform, raised to that power, moves
  // the composed mass by 1e-5, more than the error budget covers.
  PrvAccountant accountant;
  accountant.step(1.0, 1e-6, 10'000'000'000);
  const std::string message = veil::testing::error_message([&] { accountant.compute(1e-5); });
  CHECK(message.find("internal assertion") == std::string::npos);
  CHECK(message.find("lost accuracy over 10000000000 steps") != std::string::npos);
}

TEST_CASE("PRV compute is infinite for a noiseless history, like get_epsilon", "[privacy][prv]") {
  PrvAccountant accountant;
  accountant.step(1.0, 0.01, 100);
  accountant.step(0.0, 0.0, 10);  // unsampled: costs nothing even without noise
  const PrvResult noisy = accountant.compute(1e-5);
  CHECK(std::isfinite(noisy.epsilon));
  accountant.step(0.0, 0.01, 1);
  const PrvResult noiseless = accountant.compute(1e-5);
  CHECK(std::isinf(noiseless.epsilon));
  CHECK(std::isinf(noiseless.epsilon_remove));
  CHECK(std::isinf(noiseless.epsilon_add));
  CHECK(std::isinf(accountant.get_epsilon(1e-5).epsilon));
}

TEST_CASE("PRV is below RDP and matches published PRV figures", "[privacy][prv]") {
  // microsoft/prv_accountant values at delta 1e-6 (eps_error 0.01), as listed in
  // Opacus tests/prv_accountant.py: (sigma, q, steps) -> epsilon.
  struct Case {
    double sigma, q;
    std::int64_t steps;
    double expected;
  };
  for (const Case c : {Case{0.8, 0.001, 100, 0.270403364058}, Case{1.5, 0.001, 100, 0.039369419310},
                       Case{0.8, 0.05, 100, 6.741051939414}, Case{0.8, 0.2, 100, 24.333664177923},
                       Case{1.5, 0.05, 1000, 6.209969246577}, Case{3.0, 0.001, 1000, 0.047615930871}}) {
    const double epsilon = prv(c.sigma, c.q, c.steps, 1e-6).epsilon;
    INFO("sigma=" << c.sigma << " q=" << c.q << " steps=" << c.steps);
    CHECK(epsilon == Approx(c.expected).margin(2e-3));
    CHECK(epsilon < rdp_epsilon(c.sigma, c.q, c.steps, 1e-6));
  }
  // The DP-SGD MNIST setting: PRV gives a markedly smaller epsilon than RDP.
  for (const std::int64_t steps : {300, 3000}) {
    const double tight = prv(1.0, 1.0 / 300, steps, 1e-5).epsilon;
    const double loose = rdp_epsilon(1.0, 1.0 / 300, steps, 1e-5);
    CHECK(tight < loose);
    CHECK(tight > 0.25 * loose);
  }
}

TEST_CASE("PRV coarsens the grid under a size cap and stays an upper bound", "[privacy][prv]") {
  const PrvResult fine = prv(1.0, 0.01, 1000, 1e-5);
  PrvOptions small;
  small.max_grid_size = 1024;
  const PrvResult coarse = prv(1.0, 0.01, 1000, 1e-5, small);
  CHECK(coarse.grid_size <= 1024);
  CHECK(coarse.mesh > fine.mesh);
  CHECK(coarse.epsilon_error > fine.epsilon_error);
  CHECK(coarse.epsilon >= fine.epsilon - fine.epsilon_error);
  CHECK(coarse.epsilon <= fine.epsilon + coarse.epsilon_error + 0.01);
}

TEST_CASE("PRV edge cases and argument errors", "[privacy][prv]") {
  PrvAccountant empty;
  CHECK(empty.get_epsilon(1e-5).epsilon == 0.0);
  PrvAccountant unsampled;
  unsampled.step(1.0, 0.0, 100);
  CHECK(unsampled.get_epsilon(1e-5).epsilon == 0.0);
  CHECK(std::isnan(unsampled.get_epsilon(1e-5).best_order));
  // Overwhelming noise: only the slack t remains.
  CHECK(prv(1e5, 0.01, 1000, 1e-5).epsilon <= 0.011);

  PrvAccountant accountant;
  accountant.step(1.0, 0.01, 10);
  CHECK_THROWS_AS(accountant.get_epsilon(0.0), veil::Error);
  CHECK_THROWS_AS(accountant.get_epsilon(1.5), veil::Error);
  CHECK_THROWS_AS(accountant.get_epsilon(1e-300), veil::Error);
  CHECK_THROWS_AS(PrvAccountant(PrvOptions{0.0, 1e-3, 1 << 20}), veil::Error);
  CHECK_THROWS_AS(PrvAccountant(PrvOptions{0.01, 1.0, 1 << 20}), veil::Error);
  CHECK_THROWS_AS(PrvAccountant(PrvOptions{0.01, 1e-3, 1000}), veil::Error);
}
