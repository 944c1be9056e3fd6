#pragma once
// In-place radix-2 fast Fourier transform: the PRV and PLD accountants
// convolve probability mass functions with it on grids of up to a few million
// points, and the scattering transform (data/scattering2d.h) filters images
// with its 2-D form. In core, below both, so that data/ can reach it.
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
#include <cstddef>
#include <span>
#include <vector>

namespace veil {

enum class FftDirection { forward, inverse };

// One length and direction, its twiddle factors computed once: for many
// transforms of the same length (a 2-D transform is rows plus columns).
class FftPlan {
 public:
  // n must be a power of two (1 is allowed).
  FftPlan(std::size_t n, FftDirection direction);
  std::size_t size() const { return n_; }

  // Transforms data of size() elements, each `lanes` consecutive values:
  // data[i * lanes + l] is element i of lane l, and every lane is
  // transformed independently. lanes 1 is the plain 1-D transform; the
  // columns of a row-major [size(), lanes] array are lanes.
  void operator()(std::span<std::complex<double>> data, std::size_t lanes = 1) const;

 private:
  std::size_t n_;
  FftDirection direction_;
  std::vector<std::complex<double>> twiddle_;  // exp(sign 2 pi i k / n), k < n / 2
};

// The 1-D transform of data.size() values (a power of two), with a plan made for it.
void fft(std::span<std::complex<double>> data, FftDirection direction);

// The 2-D transform of a row-major [rows, cols] array, in place: `row_plan`
// has length cols and `column_plan` length rows, both in one direction.
void fft2d(std::span<std::complex<double>> data, const FftPlan& row_plan, const FftPlan& column_plan);

}  // namespace veil
