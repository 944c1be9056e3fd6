#pragma once
// Composition of discrete privacy-loss distributions that live on a lattice
// j * h (j an integer index), by FFT: the tools a numerical accountant needs
// once it has discretised each step. The PRV and PLD accountants share them;
// each keeps its own discretisation (see prv_accountant.cpp).
//
//   composed_window   Chernoff bounds on the sum of independent lattice
//                     variables, to size the FFT so that wrap-around is bounded;
//   compose_pairs     the distribution of that sum, for two relations at once;
//   smallest_epsilon  the privacy curve's inverse on the composed lattice.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace veil::privacy {

// Masses (>= 0, summing to at most 1: mass may be missing, e.g. at +inf) on the
// indices first_index, first_index + 1, ...
struct LatticePmf {
  std::int64_t first_index = 0;
  std::vector<double> mass;
};

// A distribution composed `count` times, given for both neighbouring
// relations (index 0 and 1), which are composed side by side.
struct LatticeFactor {
  std::array<LatticePmf, 2> relations;
  std::int64_t count = 1;
};

// Whole numbers, held as doubles: a caller can check their size before
// using them as indices.
struct IndexWindow {
  double low;
  double high;
};

// For S, the sum of `count` independent copies of every factor's pmf for
// `relation` (0 or 1): indices [low, high] with P[S > high] <= tail_mass and
// P[S < low] <= tail_mass (0 < tail_mass < 1), from Chernoff bounds
// P[S >= b] <= e^(-lambda b) E[e^(lambda S)] minimised over a grid of lambdas.
IndexWindow composed_window(std::span<const LatticeFactor> factors, int relation, double tail_mass);

struct ComposedPair {
  // mass[r][i]: the mass of the indices congruent to window_low + i modulo
  // grid_size, for relation r; rounding's negative values raised to 0.
  std::array<std::vector<double>, 2> mass;
  // The largest magnitude of those negative values (exact arithmetic gives
  // none), or an ulp of the largest mass if that is more: the FFT's rounding
  // noise per point.
  double rounding_noise;
};

// The distribution of S for both relations on the circle of grid_size points
// (a power of two). Mass outside a window of grid_size indices starting at
// window_low lands (wrapped) inside it. One complex FFT carries both
// relations (real and imaginary parts).
ComposedPair compose_pairs(std::span<const LatticeFactor> factors, std::int64_t window_low, std::size_t grid_size);

// Smallest x with delta(x) = sum over points y > x of p(y) (1 - e^(x - y)) <= target
// for masses p on the points bottom + i * mesh (exact for that discrete
// distribution: between two points delta is linear in e^x). -inf when even
// the total mass is <= target.
double smallest_epsilon(std::span<const double> mass, double bottom, double mesh, double target);

}  // namespace veil::privacy
