#pragma once
// The privacy loss of one step of the Poisson-subsampled Gaussian mechanism,
// as exact log-space distribution functions, for the accountants that
// discretise it.
//
// With the sensitivity scaled to 1, one step compares
//   M = (1 - q) N(0, s^2) + q N(1, s^2)   and   B = N(0, s^2).
// For the pair (P, Q) the privacy loss is L(o) = log(P(o) / Q(o)); the
// neighbouring relations are remove, (P, Q) = (M, B), and add, (P, Q) = (B, M).
// With r(o) = 1 - q + q e^((2o - 1) / (2 s^2)), L = log r (remove) or -log r
// (add), monotone in o, so every event {L <= t} is a half-line of outputs:
//   remove: L <= t  iff  o <= s^2 z + 1/2,  z = log((e^t - 1 + q) / q),   t > log(1 - q)
//   add:    L <= t  iff  o >= s^2 z + 1/2,  z = log((e^-t - 1 + q) / q),  t < -log(1 - q)
// and its probability under P and under Q is a mixture of Gaussian CDFs.
// Everything is computed in log space (z through log1p, Phi through
// log_normal_cdf), so losses in the thousands (s = 0.01) and probabilities
// far below 1e-300 stay finite and keep their digits.

namespace veil::privacy {

enum class NeighbourRelation { remove, add };

// Natural logarithms of the four probabilities of the event {L <= t}.
struct LossTails {
  double p_below;  // log P[L <= t]
  double p_above;  // log P[L > t]
  double q_below;  // log Q[L <= t]
  double q_above;  // log Q[L > t]
};

class SubsampledGaussianLoss {
 public:
  // 0 < q <= 1, sigma > 0 (checked).
  SubsampledGaussianLoss(double sample_rate, double noise_multiplier, NeighbourRelation relation);

  LossTails tails(double t) const;

  // P[L <= t] and P[L > t] as plain probabilities: the same function as
  // tails().p_below and .p_above, without the logarithms, for a caller that
  // evaluates it at many points and can do without probabilities below the
  // double range (each is still computed directly, so a small one keeps its
  // digits down to about 1e-300).
  struct Probabilities {
    double below;
    double above;
  };
  Probabilities p_tails(double t) const;

  // The loss's essential range: it never falls below lowest() nor rises above
  // highest() (log(1 - q) and +inf for remove, -inf and -log(1 - q) for add;
  // unbounded on both sides when q = 1).
  double lowest() const;
  double highest() const;

  // A t with P[L > t] <= mass (log_mass = log mass < 0), not above highest();
  // +inf when no t up to 1e300 has it (sigma below about 1e-150).
  double upper_quantile(double log_mass) const;
  // A t with P[L <= t] <= mass, not below lowest(); -inf when no t down to
  // -1e300 has it.
  double lower_quantile(double log_mass) const;

 private:
  // log((e^t - 1 + q) / q) for t above log(1 - q).
  double log_ratio(double t) const;
  // z of the half-line {L <= t} (see the top of this file), for t strictly
  // between lowest() and highest().
  double edge(double t) const;

  double q_;
  double sigma_;
  NeighbourRelation relation_;
  double log_q_;
  double log_1mq_;
};

}  // namespace veil::privacy
