#include "veil/data/morlet_filters.h"

#include <cmath>
#include <numbers>

#include "veil/core/error.h"
#include "veil/core/fft.h"

namespace veil::data {

namespace {

bool power_of_two(std::int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

std::vector<double> real_spectrum(std::vector<std::complex<double>> values, std::int64_t rows, std::int64_t cols) {
  fft2d(values, FftPlan(static_cast<std::size_t>(cols), FftDirection::forward),
        FftPlan(static_cast<std::size_t>(rows), FftDirection::forward));
  std::vector<double> spectrum(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) spectrum[i] = values[i].real();
  return spectrum;
}

}  // namespace

std::vector<std::complex<double>> gabor_2d(std::int64_t rows, std::int64_t cols, double sigma, double theta,
                                           double xi, double slant) {
  VEIL_CHECK(rows > 0 && cols > 0 && sigma > 0 && slant > 0)
      << "gabor_2d: a " << rows << " x " << cols << " grid with sigma " << sigma << " and slant " << slant
      << "; all must be positive";
  const double c = std::cos(theta), s = std::sin(theta);
  // x^T R diag(1, slant^2) R^T x / (2 sigma^2) = a x0^2 + b x0 x1 + d x1^2.
  const double scale = 1.0 / (2.0 * sigma * sigma);
  const double a = (c * c + slant * slant * s * s) * scale;
  const double b = 2.0 * c * s * (1.0 - slant * slant) * scale;
  const double d = (s * s + slant * slant * c * c) * scale;
  const double norm = slant / (2.0 * std::numbers::pi * sigma * sigma);
  std::vector<std::complex<double>> values(static_cast<std::size_t>(rows * cols));
  // Periods -2..2 in each direction: the envelope is negligible farther out
  // for the widths the bank uses (sigma at most a quarter of the grid).
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t k = 0; k < cols; ++k) {
      std::complex<double> sum = 0.0;
      for (std::int64_t pr = -2; pr <= 2; ++pr) {
        for (std::int64_t pc = -2; pc <= 2; ++pc) {
          const double x0 = double(r + pr * rows), x1 = double(k + pc * cols);
          const double envelope = -(a * x0 * x0 + b * x0 * x1 + d * x1 * x1);
          sum += std::exp(std::complex<double>(envelope, xi * (c * x0 + s * x1)));
        }
      }
      values[static_cast<std::size_t>(r * cols + k)] = sum * norm;
    }
  }
  return values;
}

std::vector<std::complex<double>> morlet_2d(std::int64_t rows, std::int64_t cols, double sigma, double theta,
                                            double xi, double slant) {
  std::vector<std::complex<double>> wave = gabor_2d(rows, cols, sigma, theta, xi, slant);
  const std::vector<std::complex<double>> envelope = gabor_2d(rows, cols, sigma, theta, 0.0, slant);
  std::complex<double> wave_sum = 0.0, envelope_sum = 0.0;
  for (std::size_t i = 0; i < wave.size(); ++i) wave_sum += wave[i], envelope_sum += envelope[i];
  const std::complex<double> k = wave_sum / envelope_sum;
  for (std::size_t i = 0; i < wave.size(); ++i) wave[i] -= k * envelope[i];
  return wave;
}

MorletFilterBank morlet_filter_bank(std::int64_t rows, std::int64_t cols, std::int64_t J, std::int64_t L) {
  VEIL_CHECK(J >= 1 && L >= 1) << "morlet_filter_bank: J and L must be at least 1, got J " << J << ", L " << L;
  VEIL_CHECK(power_of_two(rows) && power_of_two(cols) && rows % (std::int64_t{1} << J) == 0 &&
             cols % (std::int64_t{1} << J) == 0)
      << "morlet_filter_bank: the grid must be powers of two divisible by 2^J = " << (std::int64_t{1} << J) << ", got "
      << rows << " x " << cols;
  MorletFilterBank bank{rows, cols, J, L, {}, {}};
  for (std::int64_t j = 0; j < J; ++j) {
    for (std::int64_t t = 0; t < L; ++t) {
      const double theta = double(t) * std::numbers::pi / double(L);
      const double xi = 0.75 * std::numbers::pi / double(std::int64_t{1} << j);
      bank.psi.push_back(real_spectrum(morlet_2d(rows, cols, 0.8 * double(std::int64_t{1} << j), theta, xi, 4.0 / double(L)),
                                       rows, cols));
    }
  }
  bank.phi = real_spectrum(gabor_2d(rows, cols, 0.8 * double(std::int64_t{1} << (J - 1)), 0.0, 0.0, 1.0), rows, cols);
  return bank;
}

std::vector<double> at_resolution(const std::vector<double>& spectrum, std::int64_t rows, std::int64_t cols,
                                  std::int64_t r) {
  VEIL_ASSERT(static_cast<std::int64_t>(spectrum.size()) == rows * cols && r >= 0 && (rows >> r) > 0 &&
              (cols >> r) > 0)
      << "at_resolution of " << spectrum.size() << " values as " << rows << " x " << cols << " at " << r;
  const std::int64_t out_rows = rows >> r, out_cols = cols >> r;
  // Index i of the small grid is signed frequency i (i < n/2) or i - n;
  // on the full grid that frequency sits at i or i - n + N.
  const auto source = [](std::int64_t i, std::int64_t n, std::int64_t full) { return i < n / 2 ? i : i - n + full; };
  std::vector<double> out(static_cast<std::size_t>(out_rows * out_cols));
  for (std::int64_t i = 0; i < out_rows; ++i)
    for (std::int64_t k = 0; k < out_cols; ++k)
      out[static_cast<std::size_t>(i * out_cols + k)] =
          spectrum[static_cast<std::size_t>(source(i, out_rows, rows) * cols + source(k, out_cols, cols))];
  return out;
}

}  // namespace veil::data
