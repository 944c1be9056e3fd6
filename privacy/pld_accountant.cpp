#include "veil/privacy/pld_accountant.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>
#include <utility>
#include <vector>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/lattice_composition.h"
#include "veil/privacy/subsampled_gaussian_loss.h"

namespace veil::privacy {

namespace {

constexpr std::array<NeighbourRelation, 2> kRelations = {NeighbourRelation::remove, NeighbourRelation::add};

// log of the mass between two thresholds a < b, from whichever pair of tails
// is the smaller there, so that small masses keep their digits.
double log_cell_mass(double log_below_a, double log_below_b, double log_above_a, double log_above_b) {
  return log_below_b < -std::numbers::ln2 ? log_sub(log_below_b, log_below_a)
                                          : log_sub(log_above_a, log_above_b);
}

// A step's loss interval [bottom, top], in loss values.
struct Interval {
  double bottom;
  double top;
};

std::int64_t first_index(const Interval& interval, double mesh) {
  return std::int64_t(std::floor(interval.bottom / mesh));
}

std::int64_t last_index(const Interval& interval, double mesh) {
  return std::int64_t(std::ceil(interval.top / mesh));
}

// The pessimistic ("connect the dots") discretisation of one step's loss on
// the grid points first .. last (times mesh); see Note [Connecting the dots].
struct DiscreteStep {
  LatticePmf pmf;
  double infinity_mass;  // P[L > last * mesh]
};

// Note [Connecting the dots]
// In a cell (a, b] = (jh, (j+1)h] the loss satisfies P = e^L Q pointwise, so
// its masses P_j, Q_j obey e^a Q_j <= P_j <= e^b Q_j. The two-point
// distribution on {a, b} with the same P- and Q-mass puts
//   P_j (1 - r) / (1 - e^-h)  at b,   the rest of P_j at a,   r = e^a Q_j / P_j.
// Doing this in every cell gives a pair whose privacy curve, as a function of
// e^eps, is the chord interpolation of the true curve through the grid
// points: above it, since the true curve is convex in e^eps, and equal to it at
// the grid points. Rounding r down (more mass to b) only raises losses, which
// keeps the pair dominating, so every clamp below errs upwards.
DiscreteStep discretise(const SubsampledGaussianLoss& loss, std::int64_t first, std::int64_t last,
                        double mesh) {
  const std::size_t n = std::size_t(last - first + 1);
  DiscreteStep step{{first, std::vector<double>(n, 0.0)}, 0.0};
  std::vector<double>& mass = step.pmf.mass;
  const double lower_share_scale = -std::expm1(-mesh);  // 1 - e^-h
  LossTails previous = loss.tails(double(first) * mesh);
  mass[0] = std::exp(previous.p_below);  // everything below the bottom, rounded up to it
  for (std::size_t k = 0; k + 1 < n; ++k) {
    const double a = double(first + std::int64_t(k)) * mesh;
    const LossTails next = loss.tails(double(first + std::int64_t(k) + 1) * mesh);
    const double log_p = log_cell_mass(previous.p_below, next.p_below, previous.p_above, next.p_above);
    if (log_p > -std::numeric_limits<double>::infinity()) {
      const double log_q = log_cell_mass(previous.q_below, next.q_below, previous.q_above, next.q_above);
      const double log_r = std::min(0.0, a + log_q - log_p);
      const double upper_share = std::min(1.0, -std::expm1(log_r) / lower_share_scale);
      const double p = std::exp(log_p);
      mass[k + 1] += p * upper_share;
      mass[k] += p - p * upper_share;
    }
    previous = next;
  }
  step.infinity_mass = std::exp(previous.p_above);
  return step;
}

// Note [Narrow losses]
// A cell wider than the loss's spread splits each step's mass onto its end
// points, which adds about E|L| h / 2 to the mean loss per step: first order
// in h, not second. With many steps of a tiny loss (q 1e-4, sigma 5, 1e5
// steps: each loss about 1e-5) that dominated epsilon at h = 1e-4. So the mesh
// is refined until the composed window spans kMinWindowPoints points, which
// keeps the excess a small fraction of the composed spread; kFinestMesh
// stops it where 1 - r in Note [Connecting the dots] could no longer be
// resolved in double precision.
constexpr double kMinWindowPoints = 1 << 15;
constexpr double kFinestMesh = 1e-9;

// Grid indices, of a step or of the composed sum, stay below 2^50 in
// magnitude, so they are exact as doubles and int64 (sigma 1e-17 at q = 1 has
// losses near 5e33 in a spread of 1e17: the mesh coarsens to keep this).
constexpr double kLargestIndex = 0x1p50;

struct Mechanism {
  double sample_rate;
  double noise_multiplier;
  std::int64_t count;
  std::array<Interval, 2> intervals;  // by relation
  std::array<double, 2> infinity_mass;
};

}  // namespace

PldAccountant::PldAccountant(PldOptions options) : options_(options) {
  VEIL_CHECK(options_.value_interval > 0.0 && std::isfinite(options_.value_interval))
      << "PLD value_interval must be > 0, got " << options_.value_interval;
  VEIL_CHECK(options_.delta_error > 0.0 && options_.delta_error <= 0.5)
      << "PLD delta_error must lie in (0, 0.5], got " << options_.delta_error;
  VEIL_CHECK(options_.max_step_points >= 16)
      << "PLD max_step_points must be >= 16, got " << options_.max_step_points;
  VEIL_CHECK(options_.max_grid_size >= 1024 && std::has_single_bit(options_.max_grid_size))
      << "PLD max_grid_size must be a power of two >= 1024, got " << options_.max_grid_size;
}

EpsilonResult PldAccountant::compute_epsilon(double delta) const {
  return {compute(delta).epsilon, std::numeric_limits<double>::quiet_NaN()};
}

PldResult PldAccountant::compute(double delta) const {
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  if (history().has_noiseless_step()) {
    const double infinity = std::numeric_limits<double>::infinity();
    return {infinity, infinity, infinity, options_.value_interval, 0};
  }

  // Composition commutes, so equal (q, sigma) anywhere in the history share one FFT.
  std::map<std::pair<double, double>, std::int64_t> counts;
  for (const LedgerEntry& entry : history().entries()) {
    if (entry.sample_rate > 0.0) counts[{entry.sample_rate, entry.noise_multiplier}] += entry.steps;
  }
  if (counts.empty()) return {0.0, 0.0, 0.0, options_.value_interval, 0};
  double total_steps = 0.0;
  for (const auto& [key, count] : counts) total_steps += double(count);

  // eta = delta_error * delta: half to the steps' infinite tails, half to the window.
  const double eta = options_.delta_error * delta;
  const double log_step_tail = std::log(eta / 2 / total_steps);
  std::vector<Mechanism> mechanisms;
  for (const auto& [key, count] : counts) {
    Mechanism mechanism{key.first, key.second, count, {}, {}};
    for (const NeighbourRelation relation : kRelations) {
      const SubsampledGaussianLoss loss(key.first, key.second, relation);
      mechanism.intervals[int(relation)] = {loss.lower_quantile(log_step_tail), loss.upper_quantile(log_step_tail)};
    }
    mechanisms.push_back(mechanism);
  }
  // Losses beyond the double range (sigma below about 1e-150): the only
  // bound left to give is the trivial one.
  for (const Mechanism& mechanism : mechanisms) {
    for (const Interval& interval : mechanism.intervals) {
      if (!std::isfinite(interval.bottom) || !std::isfinite(interval.top)) {
        const double infinity = std::numeric_limits<double>::infinity();
        return {infinity, infinity, infinity, options_.value_interval, 0};
      }
    }
  }

  // The mesh: value_interval, refined once when the composed loss is narrow
  // (see Note [Narrow losses]), coarsened when a step or the window would
  // exceed its cap.
  const double max_step_points = double(options_.max_step_points);
  const double max_points = double(options_.max_grid_size);
  double mesh = options_.value_interval;
  std::vector<LatticeFactor> factors;
  std::int64_t window_low = 0;
  std::size_t grid_size = 0;
  bool refined = false;
  for (int attempt = 0;; ++attempt) {
    VEIL_ASSERT(attempt < 100) << "PLD grid search did not settle";
    double widest_step = 0.0;
    double farthest = 0.0;  // largest |index| of a step's grid
    for (const Mechanism& mechanism : mechanisms) {
      for (const Interval& interval : mechanism.intervals) {
        widest_step = std::max(widest_step, std::ceil(interval.top / mesh) - std::floor(interval.bottom / mesh) + 1);
        farthest = std::max({farthest, std::abs(interval.top) / mesh, std::abs(interval.bottom) / mesh});
      }
    }
    if (widest_step > max_step_points) {
      mesh *= 1.05 * widest_step / max_step_points;
      continue;
    }
    if (farthest > kLargestIndex) {
      mesh *= 1.05 * farthest / kLargestIndex;
      continue;
    }
    factors.clear();
    for (Mechanism& mechanism : mechanisms) {
      LatticeFactor factor;
      factor.count = mechanism.count;
      for (const NeighbourRelation relation : kRelations) {
        const int r = int(relation);
        const SubsampledGaussianLoss loss(mechanism.sample_rate, mechanism.noise_multiplier, relation);
        DiscreteStep step = discretise(loss, first_index(mechanism.intervals[r], mesh),
                                       last_index(mechanism.intervals[r], mesh), mesh);
        factor.relations[r] = std::move(step.pmf);
        mechanism.infinity_mass[r] = step.infinity_mass;
      }
      factors.push_back(std::move(factor));
    }
    const IndexWindow remove = composed_window(factors, 0, eta / 2);
    const IndexWindow add = composed_window(factors, 1, eta / 2);
    const double low = std::min(remove.low, add.low);
    const double high = std::max(remove.high, add.high);
    if (std::max(std::abs(low), std::abs(high)) > kLargestIndex) {
      mesh *= 1.05 * std::max(std::abs(low), std::abs(high)) / kLargestIndex;
      continue;
    }
    window_low = std::int64_t(low);
    const double width = high - low + 1;
    if (!refined) {
      refined = true;
      const double finer = std::max(kFinestMesh, width * mesh / kMinWindowPoints);
      if (finer < 0.5 * mesh) {
        mesh = finer;
        continue;
      }
    }
    if (width > max_points) {
      mesh *= 1.05 * width / max_points;
      continue;
    }
    grid_size = std::bit_ceil(std::size_t(width));
    break;
  }

  const ComposedPair composed = compose_pairs(factors, window_low, grid_size);
  // Rounding allowance: the FFT's measured noise on each of the N points that
  // could enter delta. A refused delta is the caller's input, so the message is
  // one plain sentence.
  const double rounding = double(grid_size) * composed.rounding_noise;
  if (rounding > 0.1 * delta) {
    std::ostringstream message;
    message << "delta " << delta << " is too small for the pld accountant: rounding on its " << grid_size
            << "-point grid reaches about " << rounding << "; use a larger delta or the rdp accountant";
    throw Error(message.str());
  }
  std::array<double, 2> epsilons{};
  for (const NeighbourRelation relation : kRelations) {
    const int r = int(relation);
    double log_finite = 0.0;  // log P[no step's loss was infinite]
    for (const Mechanism& mechanism : mechanisms) {
      log_finite += double(mechanism.count) * std::log1p(-mechanism.infinity_mass[r]);
    }
    const double infinite = -std::expm1(log_finite);
    double mass = 0.0;
    for (const double value : composed.mass[r]) mass += value;
    VEIL_ASSERT(std::abs(mass + infinite - 1.0) < 1e-6) << "composed PLD has mass " << mass << " + " << infinite;
    const double target = delta - infinite - eta / 2 - rounding;
    VEIL_ASSERT(target > 0.0) << "PLD truncation spent " << delta - target << " of delta " << delta;
    const double x = smallest_epsilon(composed.mass[r], double(window_low) * mesh, mesh, target);
    epsilons[r] = std::max(0.0, x);
  }
  return {std::max(epsilons[0], epsilons[1]), epsilons[0], epsilons[1], mesh, grid_size};
}

}  // namespace veil::privacy
