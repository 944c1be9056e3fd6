#include "veil/privacy/fft.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include "veil/core/error.h"

namespace veil::privacy {

namespace {

// Plain product: std::complex's operator* adds the inf/NaN recovery of C's
// Annex G (a check and a possible library call per product), which nothing
// here needs, to the innermost loop.
inline std::complex<double> multiply(std::complex<double> a, std::complex<double> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// One butterfly stage (sub-transforms of length 2 * half) over data[begin, end).
void butterflies(std::span<std::complex<double>> data, std::size_t begin, std::size_t end,
                 std::size_t half, const std::vector<std::complex<double>>& twiddle) {
  const std::size_t stride = data.size() / (2 * half);
  for (std::size_t start = begin; start < end; start += 2 * half) {
    for (std::size_t k = 0; k < half; ++k) {
      const std::complex<double> odd = multiply(twiddle[k * stride], data[start + k + half]);
      data[start + k + half] = data[start + k] - odd;
      data[start + k] += odd;
    }
  }
}

}  // namespace

void fft(std::span<std::complex<double>> data, FftDirection direction) {
  const std::size_t n = data.size();
  VEIL_CHECK(n > 0 && (n & (n - 1)) == 0) << "fft length must be a power of two, got " << n;

  // Bit-reversal permutation, then iterative Cooley-Tukey butterflies.
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(data[i], data[j]);
  }
  if (n == 1) return;

  // twiddle[k] = exp(sign 2 pi i k / n); the second quarter follows from the
  // first by a quarter turn, which halves the sin/cos calls.
  const double sign = direction == FftDirection::forward ? -1.0 : 1.0;
  std::vector<std::complex<double>> twiddle(n / 2);
  const std::size_t quarter = std::max<std::size_t>(n / 4, 1);
  for (std::size_t k = 0; k < quarter; ++k) {
    const double angle = sign * 2.0 * std::numbers::pi * double(k) / double(n);
    twiddle[k] = {std::cos(angle), std::sin(angle)};
    if (k + quarter < n / 2) twiddle[k + quarter] = multiply(twiddle[k], {0.0, sign});
  }

  // The early stages run block by block so each block stays in cache; the
  // later ones sweep the whole array. This cuts passes over memory from
  // log2(n) to about log2(n) - 14.
  constexpr std::size_t kCacheBlock = std::size_t{1} << 14;
  const std::size_t block = std::min(n, kCacheBlock);
  for (std::size_t begin = 0; begin < n; begin += block) {
    for (std::size_t half = 1; half < block; half *= 2) butterflies(data, begin, begin + block, half, twiddle);
  }
  for (std::size_t half = block; half < n; half *= 2) butterflies(data, 0, n, half, twiddle);

  if (direction == FftDirection::inverse) {
    const double scale = 1.0 / double(n);
    for (std::complex<double>& value : data) value *= scale;
  }
}

}  // namespace veil::privacy
