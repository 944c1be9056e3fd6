#pragma once
// In-place radix-2 fast Fourier transform, used by the PRV accountant to
// convolve probability mass functions on grids of up to a few million points.
//
//   forward: X[k] = sum_n x[n] exp(-2 pi i k n / N)
//   inverse: x[n] = (1/N) sum_k X[k] exp(+2 pi i k n / N)
//
// N = data.size() must be a power of two (1 is allowed). O(N log N); the
// twiddle factors are computed directly, not by recurrence, so the rounding
// error stays at a few ulps times log N.
#include <complex>
#include <span>

namespace veil::privacy {

enum class FftDirection { forward, inverse };

void fft(std::span<std::complex<double>> data, FftDirection direction);

}  // namespace veil::privacy
