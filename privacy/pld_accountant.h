#pragma once
// PldAccountant: privacy loss distributions (Meiser, Mohammadi 2018; Koskela,
// Jalko, Honkela 2020), discretised pessimistically by "connecting the dots"
// (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022), composed by FFT. This
// is the method of Google's dp_accounting library; the implementation is
// veil's own (see docs/accounting.md for the derivation).
//
// Method. For a pair (P, Q) the privacy loss is L = log(P(o)/Q(o)) and the
// privacy curve delta(eps) = E_{o~P}[(1 - e^(eps - L))_+]. Each distinct
// (q, sigma) of the history is discretised once per neighbouring relation
// (remove (M, B) and add (B, M), as in subsampled_gaussian_loss.h) onto the
// grid j * h of loss values:
//  - the P- and Q-mass of each cell (jh, (j+1)h] go to its two end points, in
//    the unique proportions that keep both masses; the result's curve is the
//    chord interpolation of the true curve in e^eps, which lies above it
//    because delta is convex in e^eps: a dominating pair, valid under
//    composition (pessimistic, and exact at the grid points);
//  - loss below the interval's bottom is rounded up to the bottom;
//  - loss above its top counts as infinite (it adds to delta whatever eps).
// The steps' pmfs are composed by one FFT per distinct (q, sigma), both
// relations at once; epsilon is the larger of the two relations' epsilons.
//
// Parameters and what they guarantee (K steps, eta = delta_error * delta):
//  - the value interval [bottom, top] of each step holds all but eta/(2K) of
//    its loss above it (that mass counts as infinite: delta pays for it
//    exactly) and rounds up what is below it;
//  - the FFT window holds all but eta/2 of the composed loss above it
//    (Chernoff bound on the discretised steps); delta pays for that too;
//  - the FFT's rounding noise, measured on its output, times the N points
//    is an allowance delta pays as well;
//  - the mesh h is value_interval, finer when the composed loss is narrow
//    (its window gets at least 2^15 points: a cell wider than each step's
//    loss would cost first order in h), coarser when a step's interval would
//    need more than max_step_points points or the composed window more than
//    max_grid_size; any mesh gives an upper bound, and PldResult reports it.
// So get_epsilon returns an upper bound on the true epsilon, up to rounding
// beyond that allowance; its excess over the true value comes from the
// chords (second order in h per step) and from eta, typically well below
// 0.5%. A delta of which the allowance would take over a tenth is refused.
//
// Cost: O(N log N) per distinct (q, sigma), N the window's size (a power of
// two, 2^16 for 1e4 steps of the MNIST schedule); memory O(N) plus each
// distinct (q, sigma)'s discretised step.
#include <cstddef>
#include <string>

#include "veil/privacy/accountant.h"

namespace veil::privacy {

struct PldOptions {
  double value_interval = 1e-4;  // grid spacing h of loss values, unless adapted
  double delta_error = 1e-3;     // eta / delta: the delta spent on truncation
  std::size_t max_step_points = std::size_t{1} << 15;  // cap on one step's grid points
  std::size_t max_grid_size = std::size_t{1} << 20;    // cap on the FFT length (power of two)
};

struct PldResult {
  double epsilon;         // the certified upper bound, max of the two below (>= 0)
  double epsilon_remove;  // bound for the remove relation alone
  double epsilon_add;     // bound for the add relation alone
  double mesh;            // grid spacing h used
  std::size_t grid_size;  // FFT length N
};

class PldAccountant final : public Accountant {
 public:
  // value_interval > 0, 0 < delta_error <= 0.5, max_step_points >= 16,
  // max_grid_size a power of two >= 1024.
  explicit PldAccountant(PldOptions options = {});

  std::string name() const override { return "pld"; }

  // get_epsilon with the details of the computation. Throws veil::Error when
  // delta is too small to be certified on the grid.
  PldResult compute(double delta) const;

 private:
  EpsilonResult compute_epsilon(double delta) const override;
  PldOptions options_;
};

}  // namespace veil::privacy
