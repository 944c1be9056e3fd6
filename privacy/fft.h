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
//
// Why not a library (apps/bench_fft measures it): FFTW is GPL, which veil's
// Apache-2.0 binaries cannot carry; pocketfft is not packaged in Debian 12;
// Debian's kissfft library is single precision only, too coarse for the
// accountants' tail masses, leaving its double-precision C++ template
// (kissfft.hh). That is as accurate (forward error 5.9e-14 here, 5.5e-14
// there, against a long double DFT at 2^10; round trip 3e-15 for both at
// 2^22) but slower: forward plus inverse, one thread, median of 5
// interleaved rounds, this / kissfft = 0.44 at 2^12, 0.52 at 2^14, 0.51 at
// 2^16, 0.46 at 2^18, 0.42 at 2^20 and 0.97 at 2^22 (the lengths the PRV and
// PLD accountants pick for 1e3 to 1e5 steps of q = 1/300, sigma 1 run from
// 2^15 to 2^21; their caps are 2^22 and 2^20). So this one stays.
#include <complex>
#include <span>

namespace veil::privacy {

enum class FftDirection { forward, inverse };

void fft(std::span<std::complex<double>> data, FftDirection direction);

}  // namespace veil::privacy
