#include "veil/privacy/accounting_math.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "veil/core/error.h"

namespace veil::privacy {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// std::erfc is accurate down to its underflow near x = 26.5; switch a bit
// earlier to the asymptotic series of the scaled function,
// erfc(x) e^(x^2) = S(x) / (x sqrt(pi)) with S = 1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + ...,
// whose terms at x >= 25 fall below 1e-13 after five.
constexpr double kSeriesStart = 25.0;

double log_erfcx_series(double x) {
  const double u = 1.0 / (2.0 * x * x);
  const double series = u * (-1.0 + u * (3.0 + u * (-15.0 + u * (105.0 - 945.0 * u))));
  return -std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log1p(series);
}

}  // namespace

double log_add(double log_a, double log_b) {
  if (log_a < log_b) std::swap(log_a, log_b);
  if (log_b == -kInf) return log_a;
  return log_a + std::log1p(std::exp(log_b - log_a));
}

double log_erfc(double x) {
  if (x < kSeriesStart) return std::log(std::erfc(x));
  return log_erfcx_series(x) - x * x;
}

double log_erfcx(double x) {
  // Below the series, x^2 <= 625 cancels against log(erfc(x)) to ~1e-13.
  if (x < kSeriesStart) return std::log(std::erfc(x)) + x * x;
  return log_erfcx_series(x);
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

double gaussian_dp_log_delta(double mu, double epsilon) {
  VEIL_CHECK(mu >= 0.0) << "mu must be >= 0, got " << mu;
  VEIL_CHECK(epsilon >= 0.0) << "epsilon must be >= 0, got " << epsilon;
  if (mu == 0.0 || epsilon == kInf) return -kInf;
  if (mu == kInf) return 0.0;
  // delta = (erfc(x1) - e^epsilon erfc(x2)) / 2 with x1 = (epsilon/mu - mu/2) / sqrt2
  // and x2 = (epsilon/mu + mu/2) / sqrt2. Since epsilon - x2^2 = -x1^2, the second
  // term is e^(-x1^2) erfcx(x2) / 2: neither e^epsilon nor e^(x2^2) is formed.
  const double x1 = (epsilon / mu - mu / 2) / std::numbers::sqrt2;
  const double x2 = (epsilon / mu + mu / 2) / std::numbers::sqrt2;
  if (x1 == kInf) return -kInf;  // epsilon / mu overflows: both terms vanish
  const double log_half = std::log(0.5);
  double log_first = 0.0;  // log of the first term
  double log_ratio = 0.0;  // log(second / first), <= 0
  if (x1 >= 0.0) {
    // Both terms carry e^(-x1^2); it cancels from the ratio exactly.
    log_first = log_half - x1 * x1 + log_erfcx(x1);
    log_ratio = log_erfcx(x2) - log_erfcx(x1);
  } else {
    log_first = log_half + log_erfc(x1);  // erfc(x1) lies in [1, 2]
    log_ratio = log_half + log_erfcx(x2) - x1 * x1 - log_first;
  }
  return log_first + std::log(-std::expm1(std::min(0.0, log_ratio)));
}

double gaussian_dp_delta(double mu, double epsilon) { return std::exp(gaussian_dp_log_delta(mu, epsilon)); }

double gaussian_dp_epsilon(double mu, double delta) {
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  VEIL_CHECK(mu >= 0.0) << "mu must be >= 0, got " << mu;
  const double log_delta = std::log(delta);
  const auto above = [&](double epsilon) { return gaussian_dp_log_delta(mu, epsilon) > log_delta; };
  if (!above(0.0)) return 0.0;
  // delta(epsilon) decreases strictly: bracket the root, then bisect, keeping
  // the upper end, where delta was seen to be met.
  double low = 0.0;
  double high = 1.0;
  while (above(high)) {
    low = high;
    high *= 2;
    if (high == kInf) return kInf;
  }
  // To full precision: for huge mu, epsilon ~ mu^2 / 2 + mu z, and the mu z
  // part needs the last digits.
  for (;;) {
    const double middle = low + 0.5 * (high - low);
    if (middle <= low || middle >= high) return high;
    (above(middle) ? low : high) = middle;
  }
}

}  // namespace veil::privacy
