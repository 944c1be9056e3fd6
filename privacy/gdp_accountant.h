#pragma once
// GdpAccountant: Gaussian differential privacy with the central-limit theorem
// for Poisson subsampling (Dong, Roth, Su 2019, "Gaussian Differential
// Privacy"; Bu, Dong, Long, Su 2020, "Deep Learning with Gaussian
// Differential Privacy"). The history is treated as mu-GDP with
//
//   mu^2 = sum over steps of q^2 (e^(1/sigma^2) - 1),
//
// i.e. mu = q sqrt(T (e^(1/sigma^2) - 1)) for T equal steps, and mu-GDP gives
// delta(epsilon) = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2)
// (gaussian_dp_epsilon, accounting_math.h). Steps with q = 1 are not
// subsampled: each is exactly (1/sigma)-GDP and adds T / sigma^2 to mu^2, so a
// history of such steps alone gives the exact epsilon.
//
// WARNING: this is an asymptotic approximation (q -> 0, T -> infinity with
// q sqrt(T) fixed), not a bound. For finite T it can UNDERESTIMATE epsilon,
// by a wide margin when q is large or T small. Use it to get a quick feel for
// a schedule; report guarantees from "rdp", "prv" or "pld".
#include <string>

#include "veil/privacy/accountant.h"
#include "veil/privacy/accounting_math.h"

namespace veil::privacy {

class GdpAccountant final : public Accountant {
 public:
  std::string name() const override { return "gdp"; }

  // The mu of the history (0 when empty; +inf when e^(1/sigma^2) or
  // 1/sigma^2 overflows, which gives epsilon +inf).
  double mu() const;

 private:
  EpsilonResult compute_epsilon(double delta) const override;
};

}  // namespace veil::privacy
