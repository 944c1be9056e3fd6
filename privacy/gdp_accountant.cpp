#include "veil/privacy/gdp_accountant.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"

namespace veil::privacy {

double gaussian_dp_delta(double mu, double epsilon) {
  VEIL_CHECK(mu >= 0.0) << "mu must be >= 0, got " << mu;
  if (mu == 0.0) return 0.0;
  // e^epsilon Phi(...) overflows e^epsilon long before the product does.
  const double second = std::exp(epsilon + log_normal_cdf(-epsilon / mu - mu / 2));
  return std::max(0.0, normal_cdf(-epsilon / mu + mu / 2) - second);
}

double gaussian_dp_epsilon(double mu, double delta) {
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  VEIL_CHECK(mu >= 0.0) << "mu must be >= 0, got " << mu;
  if (!std::isfinite(mu)) return std::numeric_limits<double>::infinity();
  if (gaussian_dp_delta(mu, 0.0) <= delta) return 0.0;
  // delta(epsilon) decreases strictly: bracket the root, then bisect.
  double low = 0.0;
  double high = 1.0;
  while (gaussian_dp_delta(mu, high) > delta) {
    low = high;
    high *= 2;
  }
  while (high - low > 1e-12 * high) {
    const double middle = 0.5 * (low + high);
    (gaussian_dp_delta(mu, middle) > delta ? low : high) = middle;
  }
  return high;
}

double GdpAccountant::mu() const {
  double mu_squared = 0.0;
  for (const LedgerEntry& entry : history().entries()) {
    const double q = entry.sample_rate;
    if (q == 0.0) continue;  // also keeps 0 * inf (tiny sigma) out of the sum
    mu_squared += double(entry.steps) * q * q *
                  std::expm1(1.0 / (entry.noise_multiplier * entry.noise_multiplier));
  }
  return std::sqrt(mu_squared);
}

EpsilonResult GdpAccountant::compute_epsilon(double delta) const {
  return {gaussian_dp_epsilon(mu(), delta), std::numeric_limits<double>::quiet_NaN()};
}

}  // namespace veil::privacy
