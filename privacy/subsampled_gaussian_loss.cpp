#include "veil/privacy/subsampled_gaussian_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"

namespace veil::privacy {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A point where the non-increasing `log_tail` has fallen to log_mass or below:
// brackets by doubling away from [-1, 1], then bisects to 1e-9 (relative for
// large points). The returned point itself satisfies the bound; +inf when the
// tail has not fallen by 1e300 (losses beyond the double range).
template <typename LogTail>
double threshold(const LogTail& log_tail, double log_mass) {
  constexpr double kFarthest = 1e300;
  double low = -1.0;
  double high = 1.0;
  while (log_tail(high) > log_mass) {
    if (high > kFarthest) return kInfinity;
    low = std::exchange(high, 2 * high);
  }
  while (log_tail(low) <= log_mass) {
    if (low < -kFarthest) return low;  // the tail is already below log_mass there
    high = std::exchange(low, 2 * low);
  }
  for (int i = 0; i < 200 && high - low > 1e-9 * (1.0 + std::abs(high)); ++i) {
    const double middle = 0.5 * (low + high);
    (log_tail(middle) > log_mass ? low : high) = middle;
  }
  return high;
}

}  // namespace

SubsampledGaussianLoss::SubsampledGaussianLoss(double sample_rate, double noise_multiplier,
                                               NeighbourRelation relation)
    : q_(sample_rate),
      sigma_(noise_multiplier),
      relation_(relation),
      log_q_(std::log(sample_rate)),
      log_1mq_(std::log1p(-sample_rate)) {
  VEIL_CHECK(q_ > 0.0 && q_ <= 1.0) << "sample rate must lie in (0, 1], got " << q_;
  VEIL_CHECK(sigma_ > 0.0 && std::isfinite(sigma_)) << "noise multiplier must be > 0, got " << sigma_;
}

double SubsampledGaussianLoss::log_ratio(double t) const {
  if (q_ == 1.0) return t;
  // log(e^t - (1 - q)): factor e^t out for t > 0 so that it never overflows.
  const double log_shifted = t > 0.0 ? t + std::log1p(-(1.0 - q_) * std::exp(-t))
                                     : std::log(std::max(0.0, std::expm1(t) + q_));
  return log_shifted - log_q_;
}

double SubsampledGaussianLoss::lowest() const {
  return relation_ == NeighbourRelation::remove ? log_1mq_ : -kInfinity;
}

double SubsampledGaussianLoss::highest() const {
  return relation_ == NeighbourRelation::remove ? kInfinity : -log_1mq_;
}

LossTails SubsampledGaussianLoss::tails(double t) const {
  if (t <= lowest()) return {-kInfinity, 0.0, -kInfinity, 0.0};
  if (t >= highest()) return {0.0, -kInfinity, 0.0, -kInfinity};
  // The event is a half-line {o <= s^2 z + 1/2} (remove) or its complement
  // (add). In standard units it ends at u for N(0, s^2) and at v for N(1, s^2).
  const double z = edge(t);
  const double offset = 0.5 / sigma_;
  const double u = sigma_ * z + offset;
  const double v = sigma_ * z - offset;
  const double gaussian_left = log_normal_cdf(u);    // B[o <= s^2 z + 1/2]
  const double gaussian_right = log_normal_cdf(-u);  // B[o > s^2 z + 1/2]
  const double mixture_left = log_add(log_1mq_ + gaussian_left, log_q_ + log_normal_cdf(v));
  const double mixture_right = log_add(log_1mq_ + gaussian_right, log_q_ + log_normal_cdf(-v));
  if (relation_ == NeighbourRelation::remove) {  // (P, Q) = (M, B), {L <= t} on the left
    return {mixture_left, mixture_right, gaussian_left, gaussian_right};
  }
  return {gaussian_right, gaussian_left, mixture_right, mixture_left};  // (B, M), on the right
}

SubsampledGaussianLoss::Probabilities SubsampledGaussianLoss::p_tails(double t) const {
  if (t <= lowest()) return {0.0, 1.0};
  if (t >= highest()) return {1.0, 0.0};
  // The half-lines of tails(), under P only.
  const double offset = 0.5 / sigma_;
  const double z = edge(t);
  const double u = sigma_ * z + offset;
  if (relation_ == NeighbourRelation::remove) {  // P = M, {L <= t} on the left
    const double v = sigma_ * z - offset;
    return {(1 - q_) * normal_cdf(u) + q_ * normal_cdf(v), (1 - q_) * normal_cdf(-u) + q_ * normal_cdf(-v)};
  }
  return {normal_cdf(-u), normal_cdf(u)};  // P = B, {L <= t} on the right
}

double SubsampledGaussianLoss::edge(double t) const {
  return relation_ == NeighbourRelation::remove ? log_ratio(t) : log_ratio(-t);
}

double SubsampledGaussianLoss::upper_quantile(double log_mass) const {
  return std::min(highest(), threshold([this](double t) { return tails(t).p_above; }, log_mass));
}

double SubsampledGaussianLoss::lower_quantile(double log_mass) const {
  // P[L <= t] rises with t, so search the mirrored tail t -> P[L <= -t].
  return std::max(lowest(), -threshold([this](double t) { return tails(-t).p_below; }, log_mass));
}

}  // namespace veil::privacy
