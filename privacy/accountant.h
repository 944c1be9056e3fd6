#pragma once
// Accountant: turns the history of DP-SGD steps into an (epsilon, delta)
// guarantee. Every step is the Poisson-subsampled Gaussian mechanism: each
// example enters the batch independently with probability q (the sample
// rate), the clipped gradient sum (sensitivity C) gets N(0, sigma^2 C^2) noise,
// sigma being the noise multiplier. q and sigma may change along the history.
//
// Neighbouring datasets differ by adding or removing one example; every
// accountant here bounds both directions.
//
//   auto accountant = make_accountant("rdp");
//   accountant->step(/*noise_multiplier=*/1.0, /*sample_rate=*/1.0 / 300, /*num_steps=*/3000);
//   double epsilon = accountant->get_epsilon(1e-5).epsilon;
//
// Implementations (see docs/accounting.md):
//   "rdp"  RdpAccountant: Renyi DP, Mironov, Talwar, Zhang 2019 (an upper bound).
//   "prv"  PrvAccountant: numerical composition of privacy random variables,
//          Gopi, Lee, Wutschitz 2021 (a tight upper bound).
//   "pld"  PldAccountant: pessimistic privacy loss distributions composed by
//          FFT, as Google's dp_accounting (the tightest upper bound here).
//   "gdp"  GdpAccountant: central-limit Gaussian DP, Dong, Roth, Su 2019 (an
//          approximation that can UNDERESTIMATE epsilon; not a guarantee).
#include <cstdint>
#include <memory>
#include <string>

#include "veil/privacy/privacy_ledger.h"

namespace veil::privacy {

struct EpsilonResult {
  double epsilon;     // >= 0; +inf when the accountant can give no finite bound
  double best_order;  // the Renyi order that attained epsilon (RDP only), NaN otherwise
};

class Accountant {
 public:
  virtual ~Accountant() = default;

  // Composes num_steps more steps at (noise_multiplier, sample_rate). Same
  // validation as PrivacyLedger::record (the argument order follows Opacus).
  void step(double noise_multiplier, double sample_rate, std::int64_t num_steps = 1) {
    history_.record(sample_rate, noise_multiplier, num_steps);
  }

  // The steps composed so far.
  const PrivacyLedger& history() const { return history_; }

  // Smallest epsilon this accountant certifies for the history at `delta`,
  // 0 < delta < 1 (throws veil::Error otherwise). An empty history gives 0;
  // a history with a noiseless step (PrivacyLedger::has_noiseless_step)
  // gives +infinity in every accountant, whatever came before or after it.
  EpsilonResult get_epsilon(double delta) const;

  virtual std::string name() const = 0;

 protected:
  // get_epsilon for a history whose every step with q > 0 has sigma > 0
  // (steps with q = 0 cost nothing and may have sigma 0); delta is valid.
  virtual EpsilonResult compute_epsilon(double delta) const = 0;

 private:
  PrivacyLedger history_;
};

// "rdp", "prv", "pld" or "gdp", each with default options; throws veil::Error naming
// the accepted names for anything else.
std::unique_ptr<Accountant> make_accountant(const std::string& name);

}  // namespace veil::privacy
