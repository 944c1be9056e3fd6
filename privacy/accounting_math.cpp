#include "veil/privacy/accounting_math.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

namespace veil::privacy {

double log_add(double log_a, double log_b) {
  if (log_a < log_b) std::swap(log_a, log_b);
  if (log_b == -std::numeric_limits<double>::infinity()) return log_a;
  return log_a + std::log1p(std::exp(log_b - log_a));
}

double log_erfc(double x) {
  // std::erfc is accurate down to its underflow near x = 26.5; switch a bit
  // earlier. Beyond, erfc(x) = exp(-x^2) / (x sqrt(pi)) * S(x) with the
  // asymptotic series S = 1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + ...,
  // whose terms at x >= 25 fall below 1e-13 after five.
  constexpr double kSeriesStart = 25.0;
  if (x < kSeriesStart) return std::log(std::erfc(x));
  const double u = 1.0 / (2.0 * x * x);
  const double series = u * (-1.0 + u * (3.0 + u * (-15.0 + u * (105.0 - 945.0 * u))));
  return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log1p(series);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double log_normal_cdf(double x) { return std::log(0.5) + log_erfc(-x / std::numbers::sqrt2); }

double log_sub(double log_a, double log_b) {
  if (log_b == -std::numeric_limits<double>::infinity()) return log_a;
  if (log_a <= log_b) return -std::numeric_limits<double>::infinity();
  // log(1 - e^-d) loses no digits for small d through expm1, nor for large d through log1p.
  const double d = log_a - log_b;
  return log_a + (d < std::numbers::ln2 ? std::log(-std::expm1(-d)) : std::log1p(-std::exp(-d)));
}

}  // namespace veil::privacy
