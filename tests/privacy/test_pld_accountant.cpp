#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "support/accountant_runs.h"
#include "support/test_data.h"
#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/privacy/pld_accountant.h"
#include "veil/privacy/privacy_engine.h"
#include "veil/privacy/prv_accountant.h"
#include "veil/privacy/rdp_accountant.h"
#include "veil/privacy/subsampled_gaussian_loss.h"

using namespace veil::privacy;
using veil::testing::prv;
using veil::testing::rdp_epsilon;

namespace {

PldResult pld(double sigma, double q, std::int64_t steps, double delta, PldOptions options = {}) {
  PldAccountant accountant(options);
  accountant.step(sigma, q, steps);
  return accountant.compute(delta);
}

double normal_density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }

}  // namespace

TEST_CASE("log_sub subtracts in log space without cancellation", "[privacy][pld]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(log_sub(std::log(5.0), std::log(3.0)) == Approx(std::log(2.0)).epsilon(1e-14));
  CHECK(log_sub(0.0, -1e-12) == Approx(std::log(1e-12)).epsilon(1e-10));
  CHECK(log_sub(-2000.0, -2001.0) == Approx(-2000.0 + std::log1p(-std::exp(-1.0))).epsilon(1e-14));
  CHECK(log_sub(1.0, -inf) == 1.0);
  CHECK(log_sub(1.0, 1.0) == -inf);
  CHECK(log_sub(1.0, 2.0) == -inf);
  CHECK(log_sub(-inf, -inf) == -inf);
}

TEST_CASE("subsampled Gaussian loss tails match integration over outputs", "[privacy][pld]") {
  // P[L <= t] and Q[L <= t] by a Riemann sum over the output o, for both relations.
  const double q = 0.1;
  const double sigma = 0.8;
  const auto density = [&](double o, bool mixture) {
    const double base = normal_density(o / sigma) / sigma;
    return mixture ? (1 - q) * base + q * normal_density((o - 1) / sigma) / sigma : base;
  };
  const auto loss = [&](double o, NeighbourRelation relation) {
    const double r = std::log(1 - q + q * std::exp((2 * o - 1) / (2 * sigma * sigma)));
    return relation == NeighbourRelation::remove ? r : -r;
  };
  for (const NeighbourRelation relation : {NeighbourRelation::remove, NeighbourRelation::add}) {
    const SubsampledGaussianLoss model(q, sigma, relation);
    const bool p_is_mixture = relation == NeighbourRelation::remove;
    for (const double t : {-0.5, -0.05, 0.0, 0.02, 0.3, 1.5}) {
      // The midpoint rule misplaces at most one step's mass at the event's edge:
      // step * max density < 7e-5.
      double p_below = 0.0;
      double q_below = 0.0;
      const double step = 1e-4;
      for (double o = -10.0; o < 11.0; o += step) {
        if (loss(o + step / 2, relation) > t) continue;
        p_below += density(o + step / 2, p_is_mixture) * step;
        q_below += density(o + step / 2, !p_is_mixture) * step;
      }
      const LossTails tails = model.tails(t);
      INFO("relation " << int(relation) << " t " << t);
      CHECK(std::exp(tails.p_below) == Approx(p_below).margin(7e-5));
      CHECK(std::exp(tails.q_below) == Approx(q_below).margin(7e-5));
      CHECK(std::exp(tails.p_below) + std::exp(tails.p_above) == Approx(1.0).epsilon(1e-14));
      CHECK(std::exp(tails.q_below) + std::exp(tails.q_above) == Approx(1.0).epsilon(1e-14));
    }
  }
  // Far tails stay finite in log space where the probabilities underflow.
  const SubsampledGaussianLoss sharp(1.0, 0.01, NeighbourRelation::remove);
  const LossTails far = sharp.tails(20000.0);
  CHECK(std::isfinite(far.p_above));
  CHECK(far.p_above < -1000.0);
  CHECK(far.q_above < far.p_above - 20000.0 + 1e-6);  // Q[L > t] <= e^-t P[L > t]
}

TEST_CASE("subsampled Gaussian loss p_tails is tails' P side without logs", "[privacy][pld][prv]") {
  // PRV discretises with p_tails, PLD with tails: one function, two spellings.
  for (const double q : {1e-3, 0.1, 0.5, 1.0}) {
    for (const double sigma : {0.3, 1.0, 5.0}) {
      for (const NeighbourRelation relation : {NeighbourRelation::remove, NeighbourRelation::add}) {
        const SubsampledGaussianLoss loss(q, sigma, relation);
        for (const double t : {-3.0, -0.7, -1e-3, 0.0, 2e-4, 0.05, 0.9, 4.0, 30.0}) {
          const LossTails logs = loss.tails(t);
          const SubsampledGaussianLoss::Probabilities plain = loss.p_tails(t);
          INFO("q " << q << " sigma " << sigma << " relation " << int(relation) << " t " << t);
          CHECK(plain.below == Approx(std::exp(logs.p_below)).epsilon(1e-12).margin(1e-300));
          CHECK(plain.above == Approx(std::exp(logs.p_above)).epsilon(1e-12).margin(1e-300));
        }
      }
    }
  }
}

TEST_CASE("PLD brackets the Gaussian mechanism's exact epsilon (q = 1)", "[privacy][pld]") {
  struct Case {
    double sigma;
    std::int64_t steps;
    double delta;
  };
  std::vector<Case> cases;
  for (const double sigma : {0.01, 0.1, 0.5, 2.0, 10.0}) {
    for (const double delta : {1e-3, 1e-5, 1e-7}) cases.push_back({sigma, 1, delta});
    cases.push_back({sigma, 50, 1e-5});
  }
  for (const Case& c : cases) {
    const double exact = gaussian_dp_epsilon(std::sqrt(double(c.steps)) / c.sigma, c.delta);
    const PldResult result = pld(c.sigma, 1.0, c.steps, c.delta);
    INFO("sigma " << c.sigma << " delta " << c.delta << " steps " << c.steps << " exact " << exact << " pld "
                  << result.epsilon << " mesh " << result.mesh);
    CHECK(result.epsilon >= exact);
    if (exact >= 0.1) CHECK(result.epsilon <= 1.005 * exact);
    CHECK(result.epsilon <= exact + 1e-3 * exact + 2 * result.mesh);
    // q = 1 makes both relations the same Gaussian.
    CHECK(result.epsilon_add == Approx(result.epsilon_remove).epsilon(1e-7));
  }
  // sigma 0.01 needs epsilon in the thousands: the mesh coarsens to fit.
  const PldResult sharp = pld(0.01, 1.0, 1, 1e-5);
  CHECK(sharp.epsilon == Approx(5425.51).margin(0.05));
  CHECK(sharp.mesh > PldOptions{}.value_interval);
}

TEST_CASE("PLD brackets the exact epsilon of one subsampled step", "[privacy][pld]") {
  // One step's curve is exact from the loss tails (checked against
  // integration above): delta(eps) = P[L > eps] - e^eps Q[L > eps].
  const auto exact_epsilon = [](double q, double sigma, double delta) {
    double worst = 0.0;
    for (const NeighbourRelation relation : {NeighbourRelation::remove, NeighbourRelation::add}) {
      const SubsampledGaussianLoss loss(q, sigma, relation);
      const auto curve = [&](double eps) {
        const LossTails tails = loss.tails(eps);
        return std::exp(tails.p_above) - std::exp(eps + tails.q_above);
      };
      if (curve(0.0) <= delta) continue;
      double low = 0.0;
      double high = 1.0;
      while (curve(high) > delta) high *= 2;
      for (int i = 0; i < 200; ++i) {
        const double middle = 0.5 * (low + high);
        (curve(middle) > delta ? low : high) = middle;
      }
      worst = std::max(worst, high);
    }
    return worst;
  };
  for (const double q : {0.01, 0.1, 0.5}) {
    for (const double sigma : {0.6, 1.0, 2.0}) {
      const double exact = exact_epsilon(q, sigma, 1e-5);
      const PldResult result = pld(sigma, q, 1, 1e-5);
      INFO("q " << q << " sigma " << sigma << " exact " << exact << " pld " << result.epsilon << " mesh "
                << result.mesh);
      CHECK(result.epsilon >= exact);
      CHECK(result.epsilon <= exact + 1e-3 * exact + 2 * result.mesh);
    }
  }
}

TEST_CASE("PLD agrees with Google's dp_accounting on its published values", "[privacy][pld]") {
  // dp_accounting's PLD accountant tests: three steps at q 0.2, sigma 0.5 have
  // delta 0.15594 at epsilon 1; three Gaussian steps at sigma sqrt(3) have
  // delta 0.126936 at epsilon 1 (exact). Both are read back to 1e-3.
  CHECK(pld(0.5, 0.2, 3, 0.15594).epsilon == Approx(1.0).margin(1e-3));
  CHECK(pld(std::sqrt(3.0), 1.0, 3, 0.126936).epsilon == Approx(1.0).margin(1e-3));
}

TEST_CASE("PLD is never above RDP or PRV", "[privacy][pld]") {
  struct Case {
    double q, sigma;
    std::int64_t steps;
    double delta;
  };
  std::vector<Case> cases;
  for (const double q : {1e-3, 0.02, 0.25}) {
    for (const double sigma : {0.5, 1.2, 3.0}) {
      for (const std::int64_t steps : {1, 30, 300}) cases.push_back({q, sigma, steps, 1e-5});
    }
  }
  // Up to 1e4 steps, and other deltas, where PRV stays quick.
  for (const Case c : {Case{1e-3, 0.5, 10000, 1e-5}, Case{1e-3, 3.0, 10000, 1e-5}, Case{0.02, 3.0, 10000, 1e-5},
                       Case{0.02, 1.2, 1000, 1e-5}, Case{0.25, 3.0, 1000, 1e-5}, Case{0.02, 1.2, 100, 1e-3},
                       Case{0.25, 3.0, 100, 1e-7}, Case{1e-3, 0.5, 100, 1e-8}, Case{0.25, 0.5, 1, 1e-3}}) {
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    const double epsilon = pld(c.sigma, c.q, c.steps, c.delta).epsilon;
    const PrvResult prv_result = prv(c.sigma, c.q, c.steps, c.delta);
    INFO("q " << c.q << " sigma " << c.sigma << " steps " << c.steps << " delta " << c.delta << ": pld " << epsilon
              << " prv " << prv_result.epsilon);
    CHECK(epsilon <= prv_result.epsilon);
    CHECK(epsilon <= rdp_epsilon(c.sigma, c.q, c.steps, c.delta));
    // Two independent tight methods agree: PLD lies within PRV's stated slack.
    CHECK(epsilon >= prv_result.epsilon - 2 * prv_result.epsilon_error);
  }
}

TEST_CASE("PLD composes Gaussian segments into the exact Gaussian mechanism", "[privacy][pld]") {
  // Gaussian segments (q = 1) compose to the Gaussian with mu^2 = sum T / sigma^2.
  PldAccountant gaussian;
  gaussian.step(2.0, 1.0, 30);
  gaussian.step(5.0, 1.0, 200);
  const double exact = gaussian_dp_epsilon(std::sqrt(30 / 4.0 + 200 / 25.0), 1e-5);
  const double epsilon = gaussian.get_epsilon(1e-5).epsilon;
  CHECK(epsilon >= exact);
  CHECK(epsilon <= 1.001 * exact);
}

TEST_CASE("PLD reports the larger of the two relations", "[privacy][pld]") {
  for (const double q : {1.0 / 300, 0.2}) {
    const PldResult result = pld(1.0, q, 300, 1e-5);
    CHECK(result.epsilon == std::max(result.epsilon_remove, result.epsilon_add));
    // Removing an example is the costlier direction here, but adding one costs too.
    CHECK(result.epsilon_add > 0.3 * result.epsilon_remove);
    CHECK(result.epsilon_add < result.epsilon_remove);
  }
}

TEST_CASE("PLD coarsens its mesh under the caps and stays an upper bound", "[privacy][pld]") {
  const PldResult fine = pld(1.0, 0.01, 1000, 1e-5);
  PldOptions small;
  small.max_step_points = 256;
  small.max_grid_size = 4096;
  const PldResult coarse = pld(1.0, 0.01, 1000, 1e-5, small);
  CHECK(coarse.grid_size <= 4096);
  CHECK(coarse.mesh > fine.mesh);
  CHECK(coarse.epsilon >= fine.epsilon);
  CHECK(coarse.epsilon <= fine.epsilon + 0.1);
  // A coarse mesh at q = 1 still never falls below the exact value.
  const PldResult gaussian = pld(1.0, 1.0, 10, 1e-5, small);
  CHECK(gaussian.epsilon >= gaussian_dp_epsilon(std::sqrt(10.0), 1e-5));
}

TEST_CASE("PLD refines its mesh when each step's loss is far narrower than it", "[privacy][pld]") {
  // Regression: each loss here is about 1e-5; at the default 1e-4 mesh the
  // cells' splitting tripled epsilon (0.013, above PRV's bound's centre).
  const PldResult result = pld(5.0, 1e-4, 100000, 1e-3);
  PldOptions fine;
  fine.value_interval = 1e-6;
  const PldResult reference = pld(5.0, 1e-4, 100000, 1e-3, fine);
  const PrvResult prv_result = prv(5.0, 1e-4, 100000, 1e-3);
  INFO("pld " << result.epsilon << " (mesh " << result.mesh << "), fine " << reference.epsilon << ", prv "
              << prv_result.epsilon);
  CHECK(result.mesh < PldOptions{}.value_interval);
  CHECK(result.epsilon <= 1.01 * reference.epsilon);
  CHECK(result.epsilon <= prv_result.epsilon - 0.5 * prv_result.epsilon_error);
}

TEST_CASE("PLD handles extreme noise and refuses deltas its grid cannot certify", "[privacy][pld]") {
  PldAccountant empty;
  CHECK(empty.get_epsilon(1e-5).epsilon == 0.0);
  PldAccountant unsampled;
  unsampled.step(0.0, 0.0, 100);
  CHECK(unsampled.get_epsilon(1e-5).epsilon == 0.0);
  PldAccountant noiseless;
  noiseless.step(1.0, 0.01, 100);
  noiseless.step(0.0, 0.01, 1);
  CHECK(std::isinf(noiseless.get_epsilon(1e-5).epsilon));
  CHECK(std::isinf(noiseless.compute(1e-5).epsilon));
  // Overwhelming noise: a few meshes at most.
  CHECK(pld(1e6, 0.5, 1000, 1e-5).epsilon <= 1e-3);
  // Almost no noise: every included step leaks about 1/(2 sigma^2); no overflow.
  const double huge = pld(1e-6, 0.5, 10, 1e-5).epsilon;
  CHECK(std::isfinite(huge));
  CHECK(huge >= 9 * 0.5e12);
  CHECK(huge <= rdp_epsilon(1e-6, 0.5, 10, 1e-5));
  // Regression: losses near 1e200, or with a spread far below their size,
  // overflowed the grid's indices; past the double range only +inf is left.
  CHECK(pld(1e-100, 0.5, 3, 1e-5).epsilon == Approx(1.5e200).epsilon(1e-3));
  CHECK(pld(1e-17, 1.0, 1, 1e-5).epsilon == Approx(5e33).epsilon(1e-6));
  CHECK(std::isinf(pld(1e-300, 0.5, 3, 1e-5).epsilon));

  const std::string message = veil::testing::error_message([] { pld(1.0, 0.01, 1000, 1e-12); });
  CHECK(message.starts_with("delta 1e-12 is too small for the pld accountant"));
  CHECK(message.find("failed") == std::string::npos);
  PldAccountant accountant;
  accountant.step(1.0, 0.01, 10);
  CHECK_THROWS_AS(accountant.get_epsilon(0.0), veil::Error);
  CHECK_THROWS_AS(accountant.get_epsilon(1.0), veil::Error);
  CHECK_THROWS_AS(PldAccountant(PldOptions{0.0}), veil::Error);
  CHECK_THROWS_AS(PldAccountant(PldOptions{1e-4, 0.7}), veil::Error);
  CHECK_THROWS_AS(PldAccountant(PldOptions{1e-4, 1e-3, 8}), veil::Error);
  CHECK_THROWS_AS(PldAccountant(PldOptions{1e-4, 1e-3, 1 << 15, 1000}), veil::Error);
}

TEST_CASE("noise calibration with PLD needs less noise than with RDP", "[privacy][pld]") {
  const double sigma = noise_for_epsilon(1.0, 1e-5, 0.01, 500, "pld");
  CHECK(sigma < noise_for_epsilon(1.0, 1e-5, 0.01, 500, "rdp"));
  CHECK(pld(sigma, 0.01, 500, 1e-5).epsilon <= 1.0);
  CHECK(pld(sigma * 0.99, 0.01, 500, 1e-5).epsilon > 1.0);
}

TEST_CASE("PrivacyEngine and epsilon_of run the pld accountant by name", "[privacy][pld]") {
  const veil::PrivacyEngine engine("pld");
  CHECK(engine.accountant_name() == "pld");
  PrivacyLedger ledger;
  ledger.record(1.0 / 300, 1.0, 300);
  ledger.record(1.0 / 150, 1.2, 100);
  PldAccountant direct;
  replay(ledger, direct);
  CHECK(veil::epsilon_of(ledger, "pld", 1e-5).epsilon == direct.get_epsilon(1e-5).epsilon);
  CHECK(veil::epsilon_of(ledger, "pld", 1e-5).epsilon < veil::epsilon_of(ledger, "rdp", 1e-5).epsilon);
}
