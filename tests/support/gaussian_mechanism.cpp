#include "support/gaussian_mechanism.h"

#include <cmath>

#include "veil/privacy/accounting_math.h"

namespace veil::test {

double gaussian_mechanism_delta(double mu, double epsilon) {
  // Phi(a) - e^eps Phi(b) = Phi(a) (1 - e^(eps + log Phi(b) - log Phi(a))).
  const double log_first = privacy::log_normal_cdf(-epsilon / mu + mu / 2);
  const double log_second = epsilon + privacy::log_normal_cdf(-epsilon / mu - mu / 2);
  if (log_second >= log_first) return 0.0;
  return -std::exp(log_first) * std::expm1(log_second - log_first);
}

double gaussian_mechanism_epsilon(double mu, double delta) {
  if (gaussian_mechanism_delta(mu, 0.0) <= delta) return 0.0;
  double low = 0.0;
  double high = 1.0;
  while (gaussian_mechanism_delta(mu, high) > delta) high *= 2;
  while (high - low > 1e-12 * high) {
    const double middle = 0.5 * (low + high);
    (gaussian_mechanism_delta(mu, middle) > delta ? low : high) = middle;
  }
  return high;
}

}  // namespace veil::test
