#pragma once
// PrvAccountant: numerical composition of privacy random variables (Gopi,
// Lee, Wutschitz 2021, "Numerical Composition of Differential Privacy").
//
// Why this is veil's second accountant (rather than GDP): it is tight (RDP's
// conversion loses a constant factor that PRV does not), it is a certified
// upper bound with explicit error terms (GDP's central-limit formula is an
// approximation that can underestimate epsilon), and it is what Opacus
// offers next to RDP. veil also has GdpAccountant, for quick estimates only.
//
// Method. For a pair of output distributions (P, Q) the privacy random
// variable is Y = log(P(o) / Q(o)) with o ~ P, and the privacy curve is
// delta(eps) = E[(1 - e^(eps - Y))_+]. Composing mechanisms adds independent
// PRVs, so the composed curve comes from the distribution of the sum, which is
// computed by discretising each step's Y on a grid of mesh h and convolving
// with an FFT. For one step of the Poisson-subsampled Gaussian, with
// M = (1 - q) N(0, s^2) + q N(1, s^2) and B = N(0, s^2), both neighbouring
// relations are composed: "remove" (P, Q) = (M, B) and "add" (P, Q) = (B, M);
// epsilon is the larger of the two. (Opacus composes only the first. It is
// usually the larger, but not always: at small epsilon and large delta the
// add relation can win. Both ride in one complex FFT, so this costs little.)
//
// Guarantee. get_epsilon returns an upper bound on the true epsilon up to
// floating-point rounding (see docs/accounting.md for the argument):
//  - each step's Y is clamped to [lo, hi] with P[Y > hi] <= eta/(3K) (K the
//    number of steps); clamping from below only raises Y;
//  - Y is rounded to the grid and shifted by its mean rounding error, so the
//    errors are independent, centred and lie in an interval of width h; by
//    Hoeffding the sum of K of them is below -t with probability <= eta/3,
//    where t = h sqrt(K log(3/eta) / 2) is the reported epsilon_error;
//  - the FFT's circular convolution wraps mass around; a Chernoff bound
//    computed from the discretised steps sizes the grid so the wrapped mass
//    is <= eta/3;
//  - so delta_true(eps) <= delta_grid(eps - t) + eta, and the returned epsilon
//    is t plus the smallest eps with delta_grid(eps) <= delta - eta,
//    where eta = delta_error * delta.
// The mesh h starts at eps_error / sqrt(K log(3/eta) / 2) (so t = eps_error)
// and is coarsened when the grid would exceed max_grid_size, or when grid
// positions would exceed 2^32 meshes (small noise puts the loss at ~1/(2 sigma^2),
// and double positions must resolve the mesh); then t grows accordingly
// (still a valid bound, reported in PrvResult). The distribution functions
// of Y are evaluated in log space, so losses far past e^709 are followed.
//
// Where it cannot give a bound, it says so: compute (and get_epsilon) throw
// veil::Error when a step's loss times K exceeds 1e150 (noise multipliers
// below about 1e-75 at q = 1), when delta is too small for the grid's FFT
// rounding, or when that rounding, raised to K (1e10 steps and more), moves
// the composed mass by 1e-6; they never return a smaller number instead.
//
// Cost: O(N log N) per distinct (q, sigma) with N the grid size, a power of
// two; about 1e5..4e6 points for 1e3..1e5 steps at eps_error = 0.01.
#include <cstddef>
#include <string>

#include "veil/privacy/accountant.h"

namespace veil::privacy {

struct PrvOptions {
  double eps_error = 0.01;     // target additive slack t on epsilon
  double delta_error = 1e-3;   // eta / delta: delta budget of the approximations
  std::size_t max_grid_size = std::size_t{1} << 22;  // cap on grid points (power of two)
};

struct PrvResult {
  double epsilon;         // the certified upper bound, max of the two below (>= 0)
  double epsilon_remove;  // bound for the remove relation alone
  double epsilon_add;     // bound for the add relation alone
  double epsilon_error;   // the slack t included in the bounds
  double mesh;            // grid spacing h
  std::size_t grid_size;  // FFT length N
};

class PrvAccountant final : public Accountant {
 public:
  // eps_error > 0, 0 < delta_error < 1, max_grid_size a power of two >= 1024.
  explicit PrvAccountant(PrvOptions options = {});

  std::string name() const override { return "prv"; }

  // get_epsilon with the details of the computation; like get_epsilon, all
  // epsilons are +inf (and mesh, grid_size, epsilon_error 0) for a history
  // with a noiseless step.
  PrvResult compute(double delta) const;

 private:
  EpsilonResult compute_epsilon(double delta) const override;
  PrvOptions options_;
};

}  // namespace veil::privacy
