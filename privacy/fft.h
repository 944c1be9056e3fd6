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
// 2^22) but slower. Forward plus inverse, one thread, median of per-round
// ratios over interleaved rounds, this / kissfft at 2^12, 2^14, ..., 2^22:
// 0.44 0.52 0.51 0.46 0.42 0.97 (load average 8 on 2 cores), and 0.59 0.71
// 0.75 0.58 0.49 0.82 (load 11). The PRV and PLD accountants pick 2^15 to
// 2^21 for 1e3 to 1e5 steps at q = 1/300, sigma 1 (caps 2^22 and 2^20).
// So this one stays.
#include <complex>
#include <span>

namespace veil::privacy {

enum class FftDirection { forward, inverse };

void fft(std::span<std::complex<double>> data, FftDirection direction);

}  // namespace veil::privacy
