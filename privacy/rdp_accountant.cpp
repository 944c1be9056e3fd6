#include "veil/privacy/rdp_accountant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"

namespace veil::privacy {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// m (m - 1) / (2 s^2) for the exponents below, with 1 / (2 s^2) passed in
// (+inf when s^2 underflows). The factor is 0 at m = 0 and m = 1 whatever s
// is, which keeps 0 * inf out of the sums.
double gaussian_exponent(double m, double inverse_two_var) {
  const double factor = m * (m - 1);
  return factor == 0.0 ? 0.0 : factor * inverse_two_var;
}

// log A_n for integer n >= 2, where A_n = E_{x~N(0,s^2)}[(P(x)/N(x;0,s^2))^n]
// = sum_k C(n,k) (1-q)^(n-k) q^k exp((k^2 - k) / (2 s^2)) (binomial theorem
// applied to (1 - q + q exp((2x - 1) / (2 s^2)))^n, then Gaussian moments).
// +inf when a term overflows.
double log_a_integer(double q, double sigma, int n) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double inverse_two_var = 0.5 / sigma / sigma;
  std::vector<double> terms(n + 1);
  double log_binom = 0.0;  // log C(n, k), advanced by the ratio (n - k) / (k + 1)
  for (int k = 0; k <= n; ++k) {
    terms[k] = log_binom + k * log_q + (n - k) * log_1mq + gaussian_exponent(k, inverse_two_var);
    log_binom += std::log(double(n - k)) - std::log(double(k + 1));
  }
  const double top = *std::max_element(terms.begin(), terms.end());
  if (top == kInf) return kInf;
  double sum = 0.0;
  for (double term : terms) sum += std::exp(term - top);
  return top + std::log(sum);
}

// log A_a for fractional a > 1. Mironov et al. split the integral at z0, where
// the mixture's two components are equal, and expand (1 - q + q e^...)^a as a
// binomial series in the smaller component on each side, which gives two
// series that converge for every real a:
//   A_a = sum_i C(a,i) q^i (1-q)^(a-i) exp((i^2 - i)/(2s^2)) erfc((i - z0)/(sqrt2 s)) / 2
//       + sum_i C(a,i) q^(a-i) (1-q)^i exp((j^2 - j)/(2s^2)) erfc((z0 - j)/(sqrt2 s)) / 2,
// with j = a - i and z0 = s^2 log(1/q - 1) + 1/2. The generalised binomial
// C(a,i) changes sign for i > a + 1, so positive and negative terms are
// summed separately in log space and subtracted once at the end.
//
// Where a term's erfc argument x is positive (x = (i - z0) / (sqrt2 s) in the
// first series, (z0 - j) / (sqrt2 s) in the second), erfc(x) = erfcx(x) e^(-x^2)
// and, with m = i or j, the exponents combine exactly:
// (m^2 - m) / (2s^2) - x^2 = m L - z0^2 / (2s^2), L = log(1/q - 1). Both sides
// grow like m^2 / s^2, so adding them as computed would cancel digits for
// small s, and give inf - inf = NaN once 1/s^2 overflows.
//
// Nothing when the series has not settled after kMaxTerms terms, which
// happens only for noise so large (sigma in the thousands, q near 1/2) that
// the terms decay polynomially from the start.
std::optional<double> log_a_fractional(double q, double sigma, double a) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double odds = log_1mq - log_q;  // L
  const double inverse_two_var = 0.5 / sigma / sigma;
  const double z0 = sigma * sigma * odds + 0.5;
  const double z0_term = z0 * (z0 * inverse_two_var);  // z0^2 / (2s^2)
  const double erfc_scale = std::numbers::sqrt2 * sigma;
  const double log_half = std::log(0.5);
  // log(exp((m^2 - m) / (2s^2)) erfc(x)) with x = +-(m - z0) / (sqrt2 s).
  const auto log_gauss_erfc = [&](double m, double x) {
    if (x <= 0.0) return gaussian_exponent(m, inverse_two_var) + log_erfc(x);
    return m * odds - z0_term + log_erfcx(x);
  };

  double log_positive = -kInf;
  double log_negative = -kInf;
  double log_abs_binom = 0.0;  // log |C(a, i)|
  bool binom_positive = true;
  // Past i = a both series decrease (the binomial coefficients shrink, and
  // each exponential factor is convex in i with its minimum near z0, beyond
  // which erfc cuts it down), eventually only polynomially, like i^(-a-2).
  // Stop there once a term no longer moves the sum at double precision.
  constexpr double kNegligible = 37.0;  // e^-37 ~ 1e-16 relative
  constexpr int kMaxTerms = 1'000'000;
  for (int i = 0;; ++i) {
    if (i == kMaxTerms) return std::nullopt;
    const double j = a - i;
    const double log_s0 = log_abs_binom + i * log_q + j * log_1mq + log_half +
                          log_gauss_erfc(i, (i - z0) / erfc_scale);
    const double log_s1 = log_abs_binom + j * log_q + i * log_1mq + log_half +
                          log_gauss_erfc(j, (z0 - j) / erfc_scale);
    double& bucket = binom_positive ? log_positive : log_negative;
    bucket = log_add(bucket, log_add(log_s0, log_s1));
    if (log_positive == kInf) return kInf;
    if (i > a && std::max(log_s0, log_s1) < log_positive - kNegligible) break;
    log_abs_binom += std::log(std::abs(a - i)) - std::log(double(i + 1));
    if (a - i < 0) binom_positive = !binom_positive;
  }
  VEIL_ASSERT(log_negative < log_positive) << "fractional RDP series lost its sign";
  return log_positive + std::log1p(-std::exp(log_negative - log_positive));
}

}  // namespace

std::vector<double> default_rdp_orders() {
  std::vector<double> orders;
  for (int tenth = 11; tenth <= 109; ++tenth) orders.push_back(tenth / 10.0);
  for (int order = 12; order <= 63; ++order) orders.push_back(order);
  return orders;
}

double subsampled_gaussian_rdp(double sample_rate, double noise_multiplier, double order) {
  VEIL_CHECK(sample_rate >= 0.0 && sample_rate <= 1.0)
      << "sample rate must lie in [0, 1], got " << sample_rate;
  VEIL_CHECK(noise_multiplier > 0.0 && std::isfinite(noise_multiplier))
      << "noise multiplier must be finite and > 0, got " << noise_multiplier;
  VEIL_CHECK(order > 1.0 && std::isfinite(order)) << "Renyi order must be > 1, got " << order;
  if (sample_rate == 0.0) return 0.0;
  // The Gaussian mechanism's RDP, +inf once 1/sigma^2 overflows. Subsampling
  // never raises RDP (Renyi divergence is jointly quasi-convex, and
  // M = (1-q) B + q N(1, s^2) against B = (1-q) B + q B), so it also bounds
  // the cases the series below cannot evaluate.
  const double unsampled = order * (0.5 / noise_multiplier / noise_multiplier);
  if (sample_rate == 1.0 || !std::isfinite(noise_multiplier * noise_multiplier)) return unsampled;
  const std::optional<double> log_a =
      order == std::floor(order) && order <= std::numeric_limits<int>::max()
          ? log_a_integer(sample_rate, noise_multiplier, int(order))
          : log_a_fractional(sample_rate, noise_multiplier, order);
  if (!log_a) return unsampled;
  VEIL_ASSERT(!std::isnan(*log_a)) << "RDP is NaN (q=" << sample_rate << ", sigma=" << noise_multiplier
                                   << ", order=" << order << ")";
  // A_a >= 1 in exact arithmetic; rounding may leave it a hair below.
  return std::max(0.0, *log_a / (order - 1));
}

EpsilonResult rdp_to_epsilon(std::span<const double> orders, std::span<const double> rdp,
                             double delta) {
  VEIL_CHECK(orders.size() == rdp.size())
      << orders.size() << " orders but " << rdp.size() << " RDP values";
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  EpsilonResult best{kInf, kNaN};
  for (std::size_t k = 0; k < orders.size(); ++k) {
    const double a = orders[k];
    VEIL_CHECK(a > 1.0 && std::isfinite(a)) << "Renyi orders must be > 1, got " << a;
    // A NaN skipped here, or clamped to 0, would pass for a small epsilon.
    VEIL_CHECK(rdp[k] >= 0.0) << "RDP values must be >= 0, got " << rdp[k] << " at order " << a;
    if (rdp[k] == kInf) continue;
    const double epsilon =
        rdp[k] - (std::log(delta) + std::log(a)) / (a - 1) + std::log((a - 1) / a);
    if (epsilon < best.epsilon) best = {epsilon, a};
  }
  best.epsilon = std::max(0.0, best.epsilon);
  return best;
}

RdpAccountant::RdpAccountant(std::vector<double> orders) : orders_(std::move(orders)) {
  VEIL_CHECK(!orders_.empty()) << "RDP accountant needs at least one order";
  for (double order : orders_) {
    VEIL_CHECK(order > 1.0 && std::isfinite(order)) << "Renyi orders must be > 1, got " << order;
  }
}

std::vector<double> RdpAccountant::composed_rdp() const {
  std::vector<double> total(orders_.size(), 0.0);
  for (const LedgerEntry& entry : history().entries()) {
    if (entry.sample_rate == 0.0) continue;  // costs nothing, and sigma may be 0
    for (std::size_t k = 0; k < orders_.size(); ++k) {
      total[k] += double(entry.steps) *
                  subsampled_gaussian_rdp(entry.sample_rate, entry.noise_multiplier, orders_[k]);
    }
  }
  return total;
}

EpsilonResult RdpAccountant::compute_epsilon(double delta) const {
  const bool no_private_step =
      std::none_of(history().entries().begin(), history().entries().end(),
                   [](const LedgerEntry& entry) { return entry.sample_rate > 0.0; });
  if (no_private_step) return {0.0, kNaN};
  return rdp_to_epsilon(orders_, composed_rdp(), delta);
}

}  // namespace veil::privacy
