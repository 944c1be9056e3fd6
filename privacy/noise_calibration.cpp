#include "veil/privacy/noise_calibration.h"

#include <cmath>
#include <utility>

#include "veil/core/error.h"
#include "veil/privacy/accountant.h"

namespace veil::privacy {

double noise_for_epsilon(double target_epsilon, double delta, double sample_rate,
                         std::int64_t steps, const std::string& accountant_name,
                         double tolerance) {
  VEIL_CHECK(target_epsilon > 0.0 && std::isfinite(target_epsilon))
      << "target epsilon must be finite and > 0, got " << target_epsilon;
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  VEIL_CHECK(sample_rate > 0.0 && sample_rate <= 1.0)
      << "sample rate must lie in (0, 1], got " << sample_rate;
  VEIL_CHECK(steps >= 1) << "steps must be >= 1, got " << steps;
  VEIL_CHECK(tolerance > 0.0 && tolerance <= 0.5)
      << "tolerance must lie in (0, 0.5], got " << tolerance;
  make_accountant(accountant_name);  // rejects an unknown name before any search

  const auto epsilon_at = [&](double sigma) {
    auto accountant = make_accountant(accountant_name);
    accountant->step(sigma, sample_rate, steps);
    return accountant->get_epsilon(delta).epsilon;
  };

  // Invariant once bracketed: epsilon(high) <= target < epsilon(low).
  constexpr double kLargestSigma = 1e6;
  constexpr double kSmallestSigma = 1e-6;
  double low = 1.0;
  double high = 1.0;
  if (epsilon_at(high) > target_epsilon) {
    do {
      low = high;
      high *= 2;
      if (high > kLargestSigma) {
        VEIL_FAIL() << "target epsilon " << target_epsilon << " at delta " << delta
                    << " is out of reach of the " << accountant_name
                    << " accountant: even noise multiplier " << kLargestSigma << " gives epsilon "
                    << epsilon_at(kLargestSigma);
      }
    } while (epsilon_at(high) > target_epsilon);
  } else {
    do {
      high = low;
      low /= 2;
      VEIL_CHECK(low >= kSmallestSigma)
          << "noise multiplier " << low << " still meets target epsilon " << target_epsilon
          << "; the schedule spends (almost) no privacy";
    } while (epsilon_at(low) <= target_epsilon);
  }

  // Bounded by iterations too: a tolerance finer than a double's spacing
  // (1e-17) would otherwise never be met. 200 halvings exhaust any bracket.
  for (int i = 0; i < 200 && high - low > tolerance * high; ++i) {
    const double middle = 0.5 * (low + high);
    (epsilon_at(middle) <= target_epsilon ? high : low) = middle;
  }
  return high;
}

}  // namespace veil::privacy
