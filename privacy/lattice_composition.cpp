#include "veil/privacy/lattice_composition.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <utility>

#include "veil/core/error.h"
#include "veil/core/fft.h"

namespace veil::privacy {

namespace {

using Complex = std::complex<double>;

// Upper bound on log E[e^(lambda J)] for the index J of a lattice pmf,
// lambda != 0. Summed from the end where e^(lambda j) is largest, so every
// factor is <= 1 and nothing overflows.
double log_mgf(const LatticePmf& pmf, double lambda) {
  const std::size_t n = pmf.mass.size();
  const double ratio = std::exp(-std::abs(lambda));
  double sum = 0.0;
  double factor = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += pmf.mass[lambda > 0 ? n - 1 - i : i] * factor;
    factor *= ratio;
    if (factor < 1e-300) {  // the rest weighs at most 1e-300
      sum += 1e-300;
      break;
    }
  }
  const double anchor = double(pmf.first_index) + (lambda > 0 ? double(n) - 1.0 : 0.0);
  // The running factor drifts by one rounding per multiplication.
  return lambda * anchor + std::log(sum) + 4e-16 * double(n);
}

std::size_t circular_slot(std::int64_t index, std::size_t n) {
  const std::int64_t size = std::int64_t(n);
  return std::size_t(((index % size) + size) % size);
}

// value^exponent through polar form: one exp and one log, and an exact 0 once
// the magnitude drops below the smallest double.
Complex power(Complex value, std::int64_t exponent) {
  if (exponent == 1) return value;
  const double log_magnitude = double(exponent) * 0.5 * std::log(std::norm(value));
  if (log_magnitude < -745.0) return 0.0;
  return std::polar(std::exp(log_magnitude), double(exponent) * std::arg(value));
}

}  // namespace

IndexWindow composed_window(std::span<const LatticeFactor> factors, int relation, double tail_mass) {
  VEIL_ASSERT(tail_mass > 0.0 && tail_mass < 1.0) << "tail mass " << tail_mass;
  double variance = 0.0;
  for (const LatticeFactor& factor : factors) {
    const LatticePmf& pmf = factor.relations[relation];
    double total = 0.0;
    double mean = 0.0;
    for (std::size_t k = 0; k < pmf.mass.size(); ++k) {
      total += pmf.mass[k];
      mean += pmf.mass[k] * double(k);
    }
    VEIL_ASSERT(total > 0.0) << "lattice pmf without mass";
    mean /= total;
    double step_variance = 0.0;
    for (std::size_t k = 0; k < pmf.mass.size(); ++k) {
      step_variance += pmf.mass[k] * (double(k) - mean) * (double(k) - mean);
    }
    variance += double(factor.count) * step_variance / total;
  }
  // Lambdas on a geometric grid around 1 / (standard deviation of S).
  const double scale = 1.0 / std::max(std::sqrt(variance), 1.0);
  const double log_tail = std::log(tail_mass);
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  for (int i = -8; i <= 20; ++i) {
    const double magnitude = std::exp2(0.5 * i) * scale;
    for (const double lambda : {magnitude, -magnitude}) {
      double log_moment = 0.0;
      for (const LatticeFactor& factor : factors) {
        log_moment += double(factor.count) * log_mgf(factor.relations[relation], lambda);
      }
      // P[S >= b] <= e^(log_moment - lambda b) <= tail_mass for b beyond this
      // point (on the side lambda points to).
      const double bound = (log_moment - log_tail) / lambda;
      if (lambda > 0) high = std::min(high, bound);
      else low = std::max(low, bound);
    }
  }
  VEIL_ASSERT(std::isfinite(low) && std::isfinite(high) && low <= high)
      << "lattice window [" << low << ", " << high << "]";
  return {std::floor(low), std::ceil(high)};
}

ComposedPair compose_pairs(std::span<const LatticeFactor> factors, std::int64_t window_low, std::size_t grid_size) {
  const std::size_t n = grid_size;
  VEIL_ASSERT(n > 0 && (n & (n - 1)) == 0) << "grid size " << n << " is not a power of two";
  // The two real transforms ride in one complex one and separate by Hermitian
  // symmetry: X_0[k] = (Z[k] + conj Z[N-k]) / 2, X_1[k] = (Z[k] - conj Z[N-k]) / 2i.
  const auto unpack = [](Complex z, Complex z_mirror) {
    const Complex sum = z + std::conj(z_mirror);
    const Complex difference = z - std::conj(z_mirror);
    return std::pair<Complex, Complex>{0.5 * sum, Complex(0.5 * difference.imag(), -0.5 * difference.real())};
  };
  const Complex i_unit(0.0, 1.0);

  // The point mass at index 0 for both relations transforms to 1 + i everywhere.
  std::vector<Complex> total(n, Complex(1.0, 1.0));
  std::vector<Complex> work(n);
  for (const LatticeFactor& factor : factors) {
    std::fill(work.begin(), work.end(), Complex(0.0, 0.0));
    for (int r = 0; r < 2; ++r) {
      const LatticePmf& pmf = factor.relations[r];
      const Complex unit = r == 0 ? Complex(1.0, 0.0) : i_unit;
      for (std::size_t k = 0; k < pmf.mass.size(); ++k) {
        work[circular_slot(pmf.first_index + std::int64_t(k), n)] += pmf.mass[k] * unit;
      }
    }
    fft(work, FftDirection::forward);
    for (std::size_t k = 0; k <= n / 2; ++k) {
      const std::size_t mirror = (n - k) % n;
      const auto [step_0, step_1] = unpack(work[k], work[mirror]);
      const auto [total_0, total_1] = unpack(total[k], total[mirror]);
      const Complex first = total_0 * power(step_0, factor.count);
      const Complex second = total_1 * power(step_1, factor.count);
      total[k] = first + i_unit * second;
      total[mirror] = std::conj(first) + i_unit * std::conj(second);
    }
  }
  fft(total, FftDirection::inverse);

  // Unwrap onto window_low .. window_low + n - 1.
  // The noise is at least an ulp of the largest mass, even where no value
  // happens to come out negative.
  // Filled by push_back, not zeroed first: at millions of points the
  // zeroing pass alone costs as much as the unwrapping.
  ComposedPair result{{}, 0.0};
  for (std::vector<double>& mass : result.mass) mass.reserve(n);
  double largest = 0.0;
  double most_negative = 0.0;
  std::size_t slot = circular_slot(window_low, n);
  for (std::size_t i = 0; i < n; ++i) {
    const Complex value = total[slot];
    slot = slot + 1 == n ? 0 : slot + 1;
    result.mass[0].push_back(std::max(0.0, value.real()));
    result.mass[1].push_back(std::max(0.0, value.imag()));
    most_negative = std::min({most_negative, value.real(), value.imag()});
    largest = std::max({largest, value.real(), value.imag()});
  }
  result.rounding_noise = -most_negative;
  result.rounding_noise = std::max(result.rounding_noise, std::numeric_limits<double>::epsilon() * largest);
  return result;
}

double smallest_epsilon(std::span<const double> mass, double bottom, double mesh, double target) {
  // Scanning from the top, keep the mass above the current point and its
  // weighted sum p e^-(y - current), relative to the current point so no
  // exponential overflows.
  double tail_mass = 0.0;
  double tail_weighted = 0.0;
  const double step_factor = std::exp(-mesh);
  for (std::size_t i = mass.size(); i-- > 0;) {
    const double y = bottom + double(i) * mesh;
    if (tail_mass - tail_weighted > target) {
      // delta(x) = tail_mass - e^(x - y) tail_weighted on [y, y + mesh), and
      // delta(y + mesh) <= target was checked one point up: the min only
      // matters when tail_weighted underflowed (a mesh beyond 700).
      return std::min(y + mesh, y + std::log((tail_mass - target) / tail_weighted));
    }
    tail_mass += mass[i];
    tail_weighted = (tail_weighted + mass[i]) * step_factor;
  }
  if (tail_mass <= target) return -std::numeric_limits<double>::infinity();
  return std::min(bottom, bottom - mesh + std::log((tail_mass - target) / tail_weighted));
}

}  // namespace veil::privacy
