#pragma once
// The filter bank of a 2-D Morlet scattering transform (data/scattering2d.h),
// built on a periodic grid of rows x cols points (the padded image) and kept
// in the Fourier domain, after Bruna & Mallat (2013) and Kymatio's
// Scattering2D.
//
// A Gabor filter of width sigma, orientation theta, frequency xi and slant s,
// at grid point x = (row, col) taken as a signed offset from the origin and
// summed over the 5 x 5 nearest periods so that it wraps around the grid:
//   gabor(x) = exp(-x^T R D R^T x / (2 sigma^2) + i xi (cos theta, sin theta) . x) * s / (2 pi sigma^2)
// with R the rotation by theta and D = diag(1, s^2). The low-pass filter is
// gabor(sigma = 0.8 * 2^(J-1), theta 0, xi 0, s 1), whose values sum to 1.
// The wavelet at scale j in [0, J) and orientation t in [0, L) is the Morlet
//   psi_{j,t} = gabor(0.8 * 2^j, t pi / L, 3 pi / (4 * 2^j), 4 / L) - K gabor(same, xi 0),
// with K chosen so that psi sums to 0 (zero mean: it ignores constants).
// (Kymatio numbers the same L orientations from (L/2 - 1) pi / L down.)
// Every filter is symmetric under x -> -x up to conjugation, so its discrete
// Fourier transform is real: only the real part is kept.
#include <complex>
#include <cstdint>
#include <vector>

namespace veil::data {

// A filter's values in space, row-major [rows, cols] (for tests and the
// bank below).
std::vector<std::complex<double>> gabor_2d(std::int64_t rows, std::int64_t cols, double sigma, double theta,
                                           double xi, double slant);
std::vector<std::complex<double>> morlet_2d(std::int64_t rows, std::int64_t cols, double sigma, double theta,
                                            double xi, double slant);

struct MorletFilterBank {
  std::int64_t rows = 0, cols = 0, J = 0, L = 0;
  // Real Fourier transforms on the full grid, row-major [rows, cols]:
  // psi[j * L + t] for psi_{j,t}, and the low-pass phi.
  std::vector<std::vector<double>> psi;
  std::vector<double> phi;
};

// rows and cols must be powers of two divisible by 2^J; J >= 1, L >= 1.
MorletFilterBank morlet_filter_bank(std::int64_t rows, std::int64_t cols, std::int64_t J, std::int64_t L);

// A spectrum on the rows x cols grid as seen by a signal subsampled by 2^r:
// the values at the signed frequencies its (rows >> r) x (cols >> r) grid
// holds, from -n/2 to n/2 - 1 along each axis; higher ones are dropped.
std::vector<double> at_resolution(const std::vector<double>& spectrum, std::int64_t rows, std::int64_t cols,
                                  std::int64_t r);

}  // namespace veil::data
