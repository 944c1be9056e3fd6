#pragma once
// GdpAccountant: Gaussian differential privacy with the central-limit theorem
// for Poisson subsampling (Dong, Roth, Su 2019, "Gaussian Differential
// Privacy"; Bu, Dong, Long, Su 2020, "Deep Learning with Gaussian
// Differential Privacy"). The history is treated as mu-GDP with
//
//   mu^2 = sum over steps of q^2 (e^(1/sigma^2) - 1),
//
// i.e. mu = q sqrt(T (e^(1/sigma^2) - 1)) for T equal steps, and mu-GDP gives
// delta(epsilon) = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2).
//
// WARNING: this is an asymptotic approximation (q -> 0, T -> infinity with
// q sqrt(T) fixed), not a bound. For finite T it can UNDERESTIMATE epsilon,
// by a wide margin when q is large or T small. Use it to get a quick feel for
// a schedule; report guarantees from "rdp", "prv" or "pld".
#include <string>

#include "veil/privacy/accountant.h"

namespace veil::privacy {

// delta(epsilon) of a mu-GDP mechanism, mu >= 0, epsilon >= 0.
double gaussian_dp_delta(double mu, double epsilon);

// Smallest epsilon >= 0 with gaussian_dp_delta(mu, epsilon) <= delta,
// 0 < delta < 1; +inf for mu = +inf.
double gaussian_dp_epsilon(double mu, double delta);

class GdpAccountant final : public Accountant {
 public:
  std::string name() const override { return "gdp"; }

  // The central-limit mu of the history (0 when empty).
  double mu() const;

 private:
  EpsilonResult compute_epsilon(double delta) const override;
};

}  // namespace veil::privacy
