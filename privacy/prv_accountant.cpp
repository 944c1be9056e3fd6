#include "veil/privacy/prv_accountant.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "veil/core/error.h"
#include "veil/privacy/lattice_composition.h"
#include "veil/privacy/subsampled_gaussian_loss.h"

namespace veil::privacy {

namespace {

constexpr std::array<NeighbourRelation, 2> kRelations = {NeighbourRelation::remove, NeighbourRelation::add};

// Largest |Y| times the number of steps the accountant works with: beyond,
// step variances (up to (2 |Y|)^2) and K-fold sums could overflow.
constexpr double kLargestLoss = 1e150;

// Largest |grid index| (of a step or of the composed sum): positions j h then
// carry 21 bits below the mesh, so rounding them, and evaluating the tails
// there, moves cell edges by under 2^-20 h. Huge losses (small noise) coarsen
// the mesh to keep this, which widens the slack t in proportion.
constexpr double kLargestIndex = 4294967296.0;  // 2^32

struct Range {
  double low;
  double high;
};

// [low, high] with P[Y > high] <= e^log_mass; mass below `low` is negligible,
// and clamping it up to `low` only makes the bound more conservative. An
// infinite end means the loss is beyond the double range (refused below).
Range clamp_range(const SubsampledGaussianLoss& loss, double log_mass) {
  return {loss.lower_quantile(log_mass), loss.upper_quantile(log_mass)};
}

// Grid points j h with (j - 1/2) h < high and (j + 1/2) h > low, as a double
// so that it may be compared with the caps before any integer conversion.
double cell_count(const Range& range, double mesh) {
  return std::ceil(range.high / mesh) - std::floor(range.low / mesh) + 1;
}

// One step's Y clamped to the range, rounded to the nearest grid point j*h and
// shifted by `shift` = E[clamped Y - rounded], so the rounding error has mean 0:
// the step's point k sits at (pmf.first_index + k) h + shift.
struct DiscreteStep {
  LatticePmf pmf;
  double shift;
};

// This discretisation is PRV's own, not PLD's connect-the-dots one
// (Note [Connecting the dots] in pld_accountant.cpp): PRV rounds to the
// nearest grid point and re-centres by the mean rounding error, so the errors
// are centred and bounded and Hoeffding turns them into the slack t added to
// epsilon; PLD moves each cell's mass onto its two ends so that the pair
// dominates the true one and needs no slack. The error accountings differ, so
// the discretisations do too; the loss's distribution functions, the window,
// the composition and the curve's inverse are shared (lattice_composition.h).
DiscreteStep discretise(const SubsampledGaussianLoss& loss, const Range& range, double mesh) {
  using Tails = SubsampledGaussianLoss::Probabilities;
  const auto tails = [&loss](double t) { return loss.p_tails(t); };
  DiscreteStep step{{std::int64_t(std::floor(range.low / mesh)), {}}, 0.0};
  const std::size_t n = std::size_t(cell_count(range, mesh));
  std::vector<double>& pmf = step.pmf.mass;
  pmf.assign(n, 0.0);
  if (n == 1) {  // the whole clamped range is one grid point: no rounding error
    pmf[0] = 1.0;
    return step;
  }
  // Cell k holds j = first_index + k and spans ((j - 1/2) h, (j + 1/2) h]; the
  // end cells also hold the clamped tails. Masses are differences of whichever
  // tail (below or above) is the smaller, which keeps small masses accurate.
  // Per interior cell, E[(Y - jh); cell] = (h/3)(F(a) + F(b) - 2F(jh)) by
  // Simpson's rule after integrating by parts; the end cells' share, below
  // h * mass, is left out.
  const std::int64_t first = step.pmf.first_index;
  Tails previous = tails((double(first) + 0.5) * mesh);
  pmf[0] = previous.below;
  double second_differences = 0.0;
  for (std::size_t k = 1; k + 1 < n; ++k) {
    const double center = double(first + std::int64_t(k)) * mesh;
    const Tails next = tails(center + 0.5 * mesh);
    const Tails middle = tails(center);
    if (next.below <= 0.5) {
      pmf[k] = next.below - previous.below;
      second_differences += previous.below + next.below - 2 * middle.below;
    } else {
      pmf[k] = previous.above - next.above;
      second_differences -= previous.above + next.above - 2 * middle.above;
    }
    previous = next;
  }
  pmf[n - 1] = previous.above;
  for (double& mass : pmf) mass = std::max(0.0, mass);
  step.shift = second_differences * mesh / 3;
  return step;
}

struct Mechanism {
  double sample_rate;
  double noise_multiplier;
  std::int64_t count;
  std::array<Range, 2> ranges;  // by NeighbourRelation
  std::array<double, 2> shifts;
};

}  // namespace

PrvAccountant::PrvAccountant(PrvOptions options) : options_(options) {
  VEIL_CHECK(options_.eps_error > 0.0 && std::isfinite(options_.eps_error))
      << "PRV eps_error must be > 0, got " << options_.eps_error;
  VEIL_CHECK(options_.delta_error > 0.0 && options_.delta_error < 1.0)
      << "PRV delta_error must lie in (0, 1), got " << options_.delta_error;
  VEIL_CHECK(options_.max_grid_size >= 1024 && std::has_single_bit(options_.max_grid_size))
      << "PRV max_grid_size must be a power of two >= 1024, got " << options_.max_grid_size;
}

EpsilonResult PrvAccountant::compute_epsilon(double delta) const {
  return {compute(delta).epsilon, std::numeric_limits<double>::quiet_NaN()};
}

PrvResult PrvAccountant::compute(double delta) const {
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  // Called directly, compute bypasses get_epsilon's check: a noiseless step
  // has no finite bound (and sigma 0 has no PRV to discretise).
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (history().has_noiseless_step()) return {kInf, kInf, kInf, 0.0, 0.0, 0};

  // Composition commutes, so equal (q, sigma) anywhere in the history share one FFT.
  std::map<std::pair<double, double>, std::int64_t> counts;
  for (const LedgerEntry& entry : history().entries()) {
    if (entry.sample_rate > 0.0) counts[{entry.sample_rate, entry.noise_multiplier}] += entry.steps;
  }
  if (counts.empty()) return {0.0, 0.0, 0.0, 0.0, 0.0, 0};
  std::int64_t total_steps = 0;
  for (const auto& [key, count] : counts) total_steps += count;
  const double steps = double(total_steps);

  // eta = delta_error * delta, one third each to clamping, rounding and wrap-around.
  const double eta = options_.delta_error * delta;
  const double eta_part = eta / 3;
  const double hoeffding = std::sqrt(steps * std::log(1.0 / eta_part) / 2);

  // Each step's clamped tail holds eta_part / K, taken in logs so that it
  // cannot underflow however small delta is.
  const double log_step_tail = std::log(options_.delta_error) + std::log(delta) - std::log(3.0 * steps);
  std::vector<Mechanism> mechanisms;
  for (const auto& [key, count] : counts) {
    Mechanism mechanism{key.first, key.second, count, {}, {}};
    for (const NeighbourRelation relation : kRelations) {
      const Range range = clamp_range(SubsampledGaussianLoss(key.first, key.second, relation), log_step_tail);
      // Sums and variances of K such losses must stay far inside the double
      // range; a loss beyond has no bound here, and refusing beats wrapping.
      const double reach = std::max(std::abs(range.low), std::abs(range.high));
      VEIL_CHECK(reach * steps <= kLargestLoss)
          << "noise multiplier " << key.second << " at sample rate " << key.first
          << " is too small for the PRV accountant: over " << total_steps
          << (total_steps == 1 ? " step" : " steps") << " the privacy loss exceeds the range it can represent";
      mechanism.ranges[int(relation)] = range;
    }
    mechanisms.push_back(std::move(mechanism));
  }

  // Find the mesh: eps_error / hoeffding unless the grid would exceed its cap.
  const double max_cells = double(options_.max_grid_size);
  double mesh = options_.eps_error / hoeffding;
  std::vector<LatticeFactor> factors;
  std::size_t grid_size = 0;
  std::int64_t window_low = 0;  // grid index of the composed pmf's first point
  for (int attempt = 0;; ++attempt) {
    VEIL_ASSERT(attempt < 100) << "PRV grid search did not settle";
    double widest_step = 0.0;
    double largest_index = 0.0;
    for (const Mechanism& mechanism : mechanisms) {
      for (const Range& range : mechanism.ranges) {
        widest_step = std::max(widest_step, cell_count(range, mesh));
        largest_index = std::max({largest_index, std::abs(range.low) / mesh, std::abs(range.high) / mesh});
      }
    }
    if (widest_step > max_cells) {
      mesh *= 1.1 * widest_step / max_cells;
      continue;
    }
    if (largest_index > kLargestIndex) {
      mesh *= 1.1 * largest_index / kLargestIndex;
      continue;
    }
    factors.clear();
    for (Mechanism& mechanism : mechanisms) {
      LatticeFactor factor;
      factor.count = mechanism.count;
      for (const NeighbourRelation relation : kRelations) {
        const int r = int(relation);
        const SubsampledGaussianLoss loss(mechanism.sample_rate, mechanism.noise_multiplier, relation);
        DiscreteStep step = discretise(loss, mechanism.ranges[r], mesh);
        factor.relations[r] = std::move(step.pmf);
        mechanism.shifts[r] = step.shift;
      }
      factors.push_back(std::move(factor));
    }
    // The shifts move every point of a relation's sum alike, so the window
    // of grid indices does not depend on them; half of eta_part per side.
    const IndexWindow remove = composed_window(factors, 0, eta_part / 2);
    const IndexWindow add = composed_window(factors, 1, eta_part / 2);
    const double low = std::min(remove.low, add.low);
    const double high = std::max(remove.high, add.high);
    const double width = high - low + 1;
    if (width > max_cells) {
      mesh *= 1.1 * width / max_cells;
      continue;
    }
    const double largest_sum_index = std::max(std::abs(low), std::abs(high));
    if (largest_sum_index > kLargestIndex) {
      mesh *= 1.1 * largest_sum_index / kLargestIndex;
      continue;
    }
    window_low = std::int64_t(low);
    grid_size = std::bit_ceil(std::size_t(width));
    break;
  }

  const double target = delta - eta;
  // The FFT leaves rounding noise of order ulp on each of the N points; keep
  // its worst-case sum an order of magnitude below delta.
  VEIL_CHECK(double(grid_size) * std::numeric_limits<double>::epsilon() < 0.1 * target)
      << "delta " << delta << " is too small for the PRV accountant's " << grid_size
      << "-point grid; use the rdp accountant";

  const ComposedPair composed = compose_pairs(factors, window_low, grid_size);
  const double slack = mesh * hoeffding;
  std::array<double, 2> epsilons{};
  for (const NeighbourRelation relation : kRelations) {
    const int r = int(relation);
    double total_shift = 0.0;
    for (const Mechanism& mechanism : mechanisms) total_shift += double(mechanism.count) * mechanism.shifts[r];
    double mass = 0.0;
    for (const double value : composed.mass[r]) mass += value;
    // Rounding noise of the FFT, amplified over very many steps, shows up
    // as excess mass (negative values are clipped): refuse, as the error
    // budget no longer covers it.
    VEIL_CHECK(std::abs(mass - 1.0) < 1e-6)
        << "the PRV accountant's FFT lost accuracy over " << total_steps << " steps (composed mass "
        << mass << "); use the rdp accountant";
    const double bottom = double(window_low) * mesh + total_shift;
    const double x = smallest_epsilon(composed.mass[r], bottom, mesh, target);
    epsilons[r] = std::max(0.0, x + slack);
  }
  return {std::max(epsilons[0], epsilons[1]), epsilons[0], epsilons[1], slack, mesh, grid_size};
}

}  // namespace veil::privacy
