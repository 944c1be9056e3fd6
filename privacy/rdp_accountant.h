#pragma once
// RdpAccountant: Renyi differential privacy of the Poisson-subsampled Gaussian
// mechanism (Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the
// Sampled Gaussian Mechanism"), composed additively over steps, converted to
// (epsilon, delta) with Balle et al. 2020 ("Hypothesis testing
// interpretations and Renyi differential privacy", Theorem 21):
//
//   epsilon = min over orders a of  rdp(a) - (log(delta) + log(a)) / (a - 1) + log((a - 1) / a)
//
// clamped at 0. This is the conversion Opacus uses, so with the default orders
// the results agree with Opacus's RDP accountant.
//
// One step at order a has RDP D_a(P || N(0, s^2)) with the mixture
// P = (1 - q) N(0, s^2) + q N(1, s^2); Mironov et al. show that it
// dominates the divergence in the other direction, so it covers both adding
// and removing an example.
#include <span>
#include <string>
#include <vector>

#include "veil/privacy/accountant.h"

namespace veil::privacy {

// 1.1, 1.2, ..., 10.9, then the integers 12 ... 63 (Opacus's default grid).
std::vector<double> default_rdp_orders();

// RDP at `order` (> 1) of one step with sample rate q in [0, 1] and noise
// multiplier sigma > 0 (finite). Integer orders use the exact binomial
// expansion, fractional orders the two convergent series of Mironov et al.;
// both are summed in log space, so large orders and small sigma give large
// finite values, and +inf once the value leaves the double range (sigma
// below about 1e-154), never NaN. q = 0 gives 0, q = 1 gives
// order / (2 sigma^2), which also bounds every q and is returned where the
// series cannot be evaluated (sigma^2 overflowing; a fractional series that
// has not settled after 1e6 terms, at sigma in the thousands).
double subsampled_gaussian_rdp(double sample_rate, double noise_multiplier, double order);

// Balle et al. conversion above, minimised over the orders; best_order is the
// minimising order. Orders must be > 1 and RDP values >= 0 (NaN is refused);
// +inf values are skipped, and if all are +inf the result is {+inf, NaN}.
EpsilonResult rdp_to_epsilon(std::span<const double> orders, std::span<const double> rdp,
                             double delta);

class RdpAccountant final : public Accountant {
 public:
  // Every order must be > 1.
  explicit RdpAccountant(std::vector<double> orders = default_rdp_orders());

  std::string name() const override { return "rdp"; }

  const std::vector<double>& orders() const { return orders_; }
  // RDP of the whole history at each order: the sum over steps.
  std::vector<double> composed_rdp() const;

 private:
  EpsilonResult compute_epsilon(double delta) const override;
  std::vector<double> orders_;
};

}  // namespace veil::privacy
