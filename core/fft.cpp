#include "veil/core/fft.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "veil/core/error.h"

namespace veil {

namespace {

using Complex = std::complex<double>;

// Plain product: std::complex's operator* adds the inf/NaN recovery of C's
// Annex G (a check and a possible library call per product), which nothing
// here needs, to the innermost loop.
inline Complex multiply(Complex a, Complex b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// One butterfly stage (sub-transforms of length 2 * half) over elements
// [begin, end) of an n-element transform, each element `lanes` values.
void butterflies(std::span<Complex> data, std::size_t lanes, std::size_t n, std::size_t begin, std::size_t end,
                 std::size_t half, const std::vector<Complex>& twiddle) {
  const std::size_t stride = n / (2 * half);
  for (std::size_t start = begin; start < end; start += 2 * half) {
    for (std::size_t k = 0; k < half; ++k) {
      const Complex w = twiddle[k * stride];
      Complex* __restrict even = data.data() + (start + k) * lanes;
      Complex* __restrict odd = data.data() + (start + k + half) * lanes;
      for (std::size_t l = 0; l < lanes; ++l) {
        const Complex product = multiply(w, odd[l]);
        odd[l] = even[l] - product;
        even[l] += product;
      }
    }
  }
}

// In place: a square n x n array becomes its transpose.
void transpose(std::span<Complex> data, std::size_t n) {
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = r + 1; c < n; ++c) std::swap(data[r * n + c], data[c * n + r]);
}

}  // namespace

FftPlan::FftPlan(std::size_t n, FftDirection direction) : n_(n), direction_(direction), twiddle_(n / 2) {
  VEIL_CHECK(n > 0 && (n & (n - 1)) == 0) << "fft length must be a power of two, got " << n;
  // The second quarter follows from the first by a quarter turn, which
  // halves the sin/cos calls.
  const double sign = direction == FftDirection::forward ? -1.0 : 1.0;
  const std::size_t quarter = std::max<std::size_t>(n / 4, 1);
  for (std::size_t k = 0; k < quarter && k < n / 2; ++k) {
    const double angle = sign * 2.0 * std::numbers::pi * double(k) / double(n);
    twiddle_[k] = {std::cos(angle), std::sin(angle)};
    if (k + quarter < n / 2) twiddle_[k + quarter] = multiply(twiddle_[k], {0.0, sign});
  }
}

void FftPlan::operator()(std::span<Complex> data, std::size_t lanes) const {
  const std::size_t n = n_;
  VEIL_ASSERT(lanes > 0 && data.size() == n * lanes) << "fft of " << data.size() << " values, plan for " << n
                                                     << " elements of " << lanes;
  // Bit-reversal permutation, then iterative Cooley-Tukey butterflies.
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap_ranges(data.begin() + i * lanes, data.begin() + (i + 1) * lanes, data.begin() + j * lanes);
  }
  if (n == 1) return;

  // The early stages run block by block so each block stays in cache; the
  // later ones sweep the whole array. This cuts passes over memory from
  // log2(n) to about log2(n) - 14.
  constexpr std::size_t kCacheBlock = std::size_t{1} << 14;
  const std::size_t block = std::min(n, kCacheBlock);
  for (std::size_t begin = 0; begin < n; begin += block) {
    for (std::size_t half = 1; half < block; half *= 2)
      butterflies(data, lanes, n, begin, begin + block, half, twiddle_);
  }
  for (std::size_t half = block; half < n; half *= 2) butterflies(data, lanes, n, 0, n, half, twiddle_);

  if (direction_ == FftDirection::inverse) {
    const double scale = 1.0 / double(n);
    for (Complex& value : data) value *= scale;
  }
}

void fft(std::span<Complex> data, FftDirection direction) {
  VEIL_CHECK(!data.empty() && (data.size() & (data.size() - 1)) == 0)
      << "fft length must be a power of two, got " << data.size();
  FftPlan(data.size(), direction)(data);
}

void fft2d(std::span<Complex> data, const FftPlan& row_plan, const FftPlan& column_plan) {
  const std::size_t rows = column_plan.size(), cols = row_plan.size();
  VEIL_ASSERT(data.size() == rows * cols) << "fft2d of " << data.size() << " values, plans for " << rows << " x " << cols;
  // The columns all at once: element i of every column is row i. The rows
  // too when the array is square, by transposing: one transform of many
  // lanes runs several times faster than as many transforms of one lane.
  column_plan(data, cols);
  if (rows == cols) {
    transpose(data, rows);
    row_plan(data, rows);
    transpose(data, rows);
  } else {
    for (std::size_t r = 0; r < rows; ++r) row_plan(data.subspan(r * cols, cols));
  }
}

}  // namespace veil
