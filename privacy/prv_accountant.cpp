#include "veil/privacy/prv_accountant.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "veil/core/error.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/fft.h"

namespace veil::privacy {

namespace {

using Complex = std::complex<double>;

enum class Relation { remove = 0, add = 1 };
constexpr std::array<Relation, 2> kRelations = {Relation::remove, Relation::add};

struct Tails {
  double below;  // P[Y <= t]
  double above;  // P[Y > t], computed directly so that tiny tails keep their digits
};

// The PRV of one step, Y = log(P(o) / Q(o)) with o ~ P, M = (1-q) N(0,s^2) + q N(1,s^2)
// and B = N(0,s^2). With r(o) = 1 - q + q e^((2o - 1) / (2 s^2)):
//   remove, (P, Q) = (M, B): Y = log r(o) > log(1 - q); Y <= t iff o <= s^2 z + 1/2
//     with z = log((e^t - 1 + q) / q), so P[Y <= t] = (1-q) Phi(s z + 1/(2s)) + q Phi(s z - 1/(2s)).
//   add, (P, Q) = (B, M): Y = -log r(o) < -log(1 - q); Y <= t iff o >= s^2 z + 1/2
//     with z = log((e^-t - 1 + q) / q), so P[Y <= t] = Phi(-(s z + 1/(2s))).
class SubsampledGaussianPrv {
 public:
  SubsampledGaussianPrv(double q, double sigma, Relation relation)
      : q_(q), sigma_(sigma), relation_(relation), log_q_(std::log(q)), log_1mq_(std::log1p(-q)) {}

  Tails tails(double t) const {
    const double offset = 0.5 / sigma_;
    if (relation_ == Relation::remove) {
      if (t <= log_1mq_) return {0.0, 1.0};
      const double z = log_ratio(t);
      const double u = sigma_ * z + offset;
      const double v = sigma_ * z - offset;
      return {(1 - q_) * normal_cdf(u) + q_ * normal_cdf(v),
              (1 - q_) * normal_cdf(-u) + q_ * normal_cdf(-v)};
    }
    if (t >= -log_1mq_) return {1.0, 0.0};
    const double u = sigma_ * log_ratio(-t) + offset;
    return {normal_cdf(-u), normal_cdf(u)};
  }

 private:
  // log((e^t - 1 + q) / q) for t > log(1 - q), in log space: e^t overflows
  // past t = 709, and small noise puts the loss far beyond (sigma 0.01 at
  // q = 1 centres it at 5000). -inf where rounding leaves e^t - 1 + q <= 0.
  double log_ratio(double t) const {
    if (q_ == 1.0) return t;
    if (t > 1.0) return t + std::log1p(-(1 - q_) * std::exp(-t)) - log_q_;
    return std::log(std::max(0.0, std::expm1(t) + q_)) - log_q_;  // keeps small t's digits
  }

  double q_;
  double sigma_;
  Relation relation_;
  double log_q_;
  double log_1mq_;
};

// Largest |Y| times the number of steps the accountant works with: beyond,
// step variances (up to (2 |Y|)^2) and K-fold sums could overflow.
constexpr double kLargestLoss = 1e150;

// Largest |grid index| (of a step or of the composed sum): positions j h then
// carry 21 bits below the mesh, so rounding them, and evaluating the tails
// there, moves cell edges by under 2^-20 h. Huge losses (small noise) coarsen
// the mesh to keep this, which widens the slack t in proportion.
constexpr double kLargestIndex = 4294967296.0;  // 2^32

// Point x with tail(x) <= mass < tail(x - 1e-9 |x|), for a tail function that
// does not increase, tends to 0 at +inf and exceeds mass at -inf.
template <typename Tail>
double tail_threshold(const Tail& tail, double mass) {
  double low = -1.0;
  double high = 1.0;
  while (tail(high) > mass) low = std::exchange(high, 2 * high);
  while (tail(low) <= mass) high = std::exchange(low, 2 * low);
  for (int iteration = 0; iteration < 200 && high - low > 1e-9 * (1.0 + std::abs(high));
       ++iteration) {
    const double middle = 0.5 * (low + high);
    (tail(middle) > mass ? low : high) = middle;
  }
  return high;
}

struct Range {
  double low;
  double high;
};

// [low, high] with P[Y > high] <= mass; mass below `low` is negligible, and
// clamping it up to `low` only makes the bound more conservative.
Range clamp_range(const SubsampledGaussianPrv& prv, double mass) {
  const double high = tail_threshold([&](double t) { return prv.tails(t).above; }, mass);
  const double low = -tail_threshold([&](double t) { return prv.tails(-t).below; }, mass);
  return {low, high};
}

// Grid points j h with (j - 1/2) h < high and (j + 1/2) h > low, as a double
// so that it may be compared with the caps before any integer conversion.
double cell_count(const Range& range, double mesh) {
  return std::ceil(range.high / mesh) - std::floor(range.low / mesh) + 1;
}

// One step's Y clamped to the range, rounded to the nearest grid point j*h and
// shifted by `shift` = E[clamped Y - rounded], so the rounding error has mean 0.
struct DiscreteStep {
  std::int64_t first_index;  // grid index j of pmf[0]
  std::vector<double> pmf;
  double shift;

  double point(std::size_t k, double mesh) const {
    return double(first_index + std::int64_t(k)) * mesh + shift;
  }
};

DiscreteStep discretise(const SubsampledGaussianPrv& prv, const Range& range, double mesh) {
  DiscreteStep step;
  step.first_index = std::int64_t(std::floor(range.low / mesh));
  const std::size_t n = std::size_t(cell_count(range, mesh));
  step.pmf.assign(n, 0.0);
  step.shift = 0.0;
  if (n == 1) {  // the whole clamped range is one grid point: no rounding error
    step.pmf[0] = 1.0;
    return step;
  }
  // Cell k holds j = first_index + k and spans ((j - 1/2) h, (j + 1/2) h]; the
  // end cells also hold the clamped tails. Masses are differences of whichever
  // tail (below or above) is the smaller, which keeps small masses accurate.
  // Per interior cell, E[(Y - jh); cell] = (h/3)(F(a) + F(b) - 2F(jh)) by
  // Simpson's rule after integrating by parts; the end cells' share, below
  // h * mass, is left out.
  Tails previous = prv.tails((double(step.first_index) + 0.5) * mesh);
  step.pmf[0] = previous.below;
  double second_differences = 0.0;
  for (std::size_t k = 1; k + 1 < n; ++k) {
    const double center = double(step.first_index + std::int64_t(k)) * mesh;
    const Tails next = prv.tails(center + 0.5 * mesh);
    const Tails middle = prv.tails(center);
    if (next.below <= 0.5) {
      step.pmf[k] = next.below - previous.below;
      second_differences += previous.below + next.below - 2 * middle.below;
    } else {
      step.pmf[k] = previous.above - next.above;
      second_differences -= previous.above + next.above - 2 * middle.above;
    }
    previous = next;
  }
  step.pmf[n - 1] = previous.above;
  for (double& mass : step.pmf) mass = std::max(0.0, mass);
  step.shift = second_differences * mesh / 3;
  return step;
}

// Upper bound on log E[exp(lambda Y~)] for a discretised step, lambda != 0.
// Summed from the end where exp(lambda y) is largest so every factor is <= 1.
double log_mgf(const DiscreteStep& step, double mesh, double lambda) {
  const std::size_t n = step.pmf.size();
  const double ratio = std::exp(-std::abs(lambda) * mesh);
  double sum = 0.0;
  double factor = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += step.pmf[lambda > 0 ? n - 1 - i : i] * factor;
    factor *= ratio;
    if (factor < 1e-300) {  // the rest weighs at most 1e-300
      sum += 1e-300;
      break;
    }
  }
  const double anchor = step.point(lambda > 0 ? n - 1 : 0, mesh);
  // The running factor drifts by one rounding per multiplication.
  const double rounding = 4e-16 * double(n);
  return lambda * anchor + std::log(sum) + rounding;
}

struct Mechanism {
  double sample_rate;
  double noise_multiplier;
  std::int64_t count;
  std::array<Range, 2> ranges;  // by Relation
  std::array<DiscreteStep, 2> steps;
};

// Window [low, high] of the composed sum of grid indices that holds all but
// `mass` of the distribution (Chernoff bounds on both sides, minimised over a
// geometric grid of lambdas scaled by the sum's standard deviation), in grid
// index units, rounded outwards but kept as doubles until checked for range.
struct IndexWindow {
  double low;
  double high;
};

IndexWindow composed_window(const std::vector<Mechanism>& mechanisms, Relation relation,
                            double mesh, double mass) {
  const int r = int(relation);
  double mean = 0.0;
  double variance = 0.0;
  double total_shift = 0.0;
  for (const Mechanism& mechanism : mechanisms) {
    const DiscreteStep& step = mechanism.steps[r];
    double step_mean = 0.0;
    for (std::size_t k = 0; k < step.pmf.size(); ++k) step_mean += step.pmf[k] * step.point(k, mesh);
    double step_variance = 0.0;
    for (std::size_t k = 0; k < step.pmf.size(); ++k) {
      const double deviation = step.point(k, mesh) - step_mean;
      step_variance += step.pmf[k] * deviation * deviation;
    }
    mean += double(mechanism.count) * step_mean;
    variance += double(mechanism.count) * step_variance;
    total_shift += double(mechanism.count) * step.shift;
  }
  const double scale = 1.0 / std::max(std::sqrt(variance), mesh);
  const double log_inverse_mass = std::log(2.0 / mass);  // half the mass per side
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  for (int i = -4; i <= 14; ++i) {
    const double magnitude = std::exp2(0.5 * i) * scale;
    for (const double lambda : {magnitude, -magnitude}) {
      double log_moment = 0.0;
      for (const Mechanism& mechanism : mechanisms) {
        log_moment += double(mechanism.count) * log_mgf(mechanism.steps[r], mesh, lambda);
      }
      const double bound = (log_moment + log_inverse_mass) / lambda;
      if (lambda > 0) high = std::min(high, bound);
      if (lambda < 0) low = std::max(low, bound);
    }
  }
  VEIL_ASSERT(low <= mean && mean <= high) << "PRV window [" << low << ", " << high
                                           << "] misses the mean " << mean;
  return {std::floor((low - total_shift) / mesh), std::ceil((high - total_shift) / mesh)};
}

// Position of grid index `index` on a circle of n points.
std::size_t circular_slot(std::int64_t index, std::size_t n) {
  const std::int64_t size = std::int64_t(n);
  return std::size_t(((index % size) + size) % size);
}

Complex power(Complex value, std::int64_t exponent) {
  if (exponent == 1) return value;
  const double log_magnitude = double(exponent) * 0.5 * std::log(std::norm(value));
  if (log_magnitude < -745.0) return 0.0;  // below the smallest double
  return std::polar(std::exp(log_magnitude), double(exponent) * std::arg(value));
}

// Convolves every mechanism's pmf `count` times with itself and all together,
// both relations at once: the remove pmf rides in the real part and the add
// pmf in the imaginary part of one complex FFT, split apart in the frequency
// domain by Hermitian symmetry (X_re[k] = (Z[k] + conj Z[N-k]) / 2, X_im[k] =
// (Z[k] - conj Z[N-k]) / 2i). Returns the circular composed pmfs, packed the
// same way: result[i] = remove[i] + i add[i] for the index sum = i mod N.
std::vector<Complex> compose(const std::vector<Mechanism>& mechanisms, std::size_t grid_size) {
  const std::size_t n = grid_size;
  const auto unpack = [](Complex z, Complex z_mirror) {
    const Complex sum = z + std::conj(z_mirror);
    const Complex difference = z - std::conj(z_mirror);
    return std::pair<Complex, Complex>{0.5 * sum, Complex(0.5 * difference.imag(), -0.5 * difference.real())};
  };
  const Complex i_unit(0.0, 1.0);

  // The point mass at 0 for both relations transforms to 1 + i everywhere.
  std::vector<Complex> total(n, Complex(1.0, 1.0));
  std::vector<Complex> work(n);
  for (const Mechanism& mechanism : mechanisms) {
    std::fill(work.begin(), work.end(), Complex(0.0, 0.0));
    for (const Relation relation : kRelations) {
      const DiscreteStep& step = mechanism.steps[int(relation)];
      const Complex unit = relation == Relation::remove ? Complex(1.0, 0.0) : i_unit;
      for (std::size_t k = 0; k < step.pmf.size(); ++k) {
        work[circular_slot(step.first_index + std::int64_t(k), n)] += step.pmf[k] * unit;
      }
    }
    fft(work, FftDirection::forward);
    for (std::size_t k = 0; k <= n / 2; ++k) {
      const std::size_t mirror = (n - k) % n;
      const auto [step_remove, step_add] = unpack(work[k], work[mirror]);
      const auto [total_remove, total_add] = unpack(total[k], total[mirror]);
      const Complex remove = total_remove * power(step_remove, mechanism.count);
      const Complex add = total_add * power(step_add, mechanism.count);
      total[k] = remove + i_unit * add;
      total[mirror] = std::conj(remove) + i_unit * std::conj(add);
    }
  }
  fft(total, FftDirection::inverse);
  return total;
}

// Smallest x with delta_grid(x) = sum over points y > x of p (1 - e^(x - y)) <= target,
// scanning the composed pmf from the top. The running sum of p e^-(y - ref)
// is kept relative to the current point, so no exponential overflows. The
// root found in [y, y + h) is capped at y + h, where the scan saw the target
// met: on a coarse mesh (h > 745) e^-h underflows and the weighted sum is 0.
double smallest_epsilon_on_grid(const std::vector<double>& pmf, double bottom, double mesh,
                                double target) {
  double tail_mass = 0.0;      // sum of p over points above the current one
  double tail_weighted = 0.0;  // sum of p e^-(y - current y) over the same points
  const double step_factor = std::exp(-mesh);
  for (std::size_t i = pmf.size(); i-- > 0;) {
    const double y = bottom + double(i) * mesh;
    if (tail_mass - tail_weighted > target) {
      // delta_grid(x) = tail_mass - e^(x - y) tail_weighted on [y, y + h).
      return std::min(y + mesh, y + std::log((tail_mass - target) / tail_weighted));
    }
    tail_mass += pmf[i];
    tail_weighted = (tail_weighted + pmf[i]) * step_factor;
  }
  if (tail_mass <= target) return -std::numeric_limits<double>::infinity();
  return std::min(bottom, bottom - mesh + std::log((tail_mass - target) / tail_weighted));
}

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

  std::vector<Mechanism> mechanisms;
  for (const auto& [key, count] : counts) {
    Mechanism mechanism{key.first, key.second, count, {}, {}};
    for (const Relation relation : kRelations) {
      const SubsampledGaussianPrv prv(key.first, key.second, relation);
      const Range range = clamp_range(prv, eta_part / steps);
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
    for (Mechanism& mechanism : mechanisms) {
      for (const Relation relation : kRelations) {
        const SubsampledGaussianPrv prv(mechanism.sample_rate, mechanism.noise_multiplier, relation);
        mechanism.steps[int(relation)] = discretise(prv, mechanism.ranges[int(relation)], mesh);
      }
    }
    const IndexWindow remove = composed_window(mechanisms, Relation::remove, mesh, eta_part);
    const IndexWindow add = composed_window(mechanisms, Relation::add, mesh, eta_part);
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

  const std::vector<Complex> composed = compose(mechanisms, grid_size);
  const double slack = mesh * hoeffding;
  std::array<double, 2> epsilons{};
  for (const Relation relation : kRelations) {
    double total_shift = 0.0;
    for (const Mechanism& mechanism : mechanisms) {
      total_shift += double(mechanism.count) * mechanism.steps[int(relation)].shift;
    }
    // Unwrap the circle onto indices window_low .. window_low + N - 1.
    std::vector<double> pmf(grid_size);
    double mass = 0.0;
    for (std::size_t i = 0; i < grid_size; ++i) {
      const Complex value = composed[circular_slot(window_low + std::int64_t(i), grid_size)];
      pmf[i] = std::max(0.0, relation == Relation::remove ? value.real() : value.imag());
      mass += pmf[i];
    }
    // Rounding noise of the FFT, amplified over very many steps, shows up
    // as excess mass (negative values are clipped above): refuse, as the
    // error budget no longer covers it.
    VEIL_CHECK(std::abs(mass - 1.0) < 1e-6)
        << "the PRV accountant's FFT lost accuracy over " << total_steps << " steps (composed mass "
        << mass << "); use the rdp accountant";
    const double bottom = double(window_low) * mesh + total_shift;
    const double x = smallest_epsilon_on_grid(pmf, bottom, mesh, target);
    epsilons[int(relation)] = std::max(0.0, x + slack);
  }
  return {std::max(epsilons[0], epsilons[1]), epsilons[0], epsilons[1], slack, mesh, grid_size};
}

}  // namespace veil::privacy
