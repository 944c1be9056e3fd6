#include "veil/privacy/gdp_accountant.h"

#include <cmath>
#include <limits>

namespace veil::privacy {

double GdpAccountant::mu() const {
  double mu_squared = 0.0;
  for (const LedgerEntry& entry : history().entries()) {
    const double q = entry.sample_rate;
    if (q == 0.0) continue;  // also keeps 0 * inf (tiny sigma) out of the sum
    const double inverse_variance = 1.0 / (entry.noise_multiplier * entry.noise_multiplier);
    // Without subsampling the step is exactly (1/sigma)-GDP, which the
    // central-limit formula would overstate (e^x - 1 > x).
    const double excess = std::expm1(inverse_variance);
    // q^2 may underflow to 0 where e^x - 1 overflows: that product is +inf, not NaN.
    const double per_step = q == 1.0 ? inverse_variance : (std::isinf(excess) ? excess : q * q * excess);
    mu_squared += double(entry.steps) * per_step;
  }
  return std::sqrt(mu_squared);
}

EpsilonResult GdpAccountant::compute_epsilon(double delta) const {
  return {gaussian_dp_epsilon(mu(), delta), std::numeric_limits<double>::quiet_NaN()};
}

}  // namespace veil::privacy
