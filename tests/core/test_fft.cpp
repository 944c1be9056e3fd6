// core/fft.h: the radix-2 FFT against the DFT's definition, its inverse, the
// lanes of a plan and the 2-D transform.
#include <catch2/catch.hpp>

#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/fft.h"

using namespace veil;

namespace {

using Complex = std::complex<double>;

std::vector<Complex> random_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<Complex> data(n);
  for (auto& value : data) value = {uniform(generator), uniform(generator)};
  return data;
}

Complex root(double sign, std::size_t k, std::size_t n) {
  return std::polar(1.0, sign * 2 * std::numbers::pi * double(k % n) / double(n));
}

}  // namespace

TEST_CASE("FFT matches the direct DFT and inverts", "[core][fft]") {
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{8}, std::size_t{64}}) {
    const std::vector<Complex> data = random_values(n, 7 + n);
    std::vector<Complex> transformed = data;
    fft(transformed, FftDirection::forward);
    for (std::size_t k = 0; k < n; ++k) {
      Complex expected = 0.0;
      for (std::size_t j = 0; j < n; ++j) expected += data[j] * root(-1, k * j, n);
      CHECK(std::abs(transformed[k] - expected) < 1e-12);
    }
  }
  const std::vector<Complex> data = random_values(std::size_t{1} << 16, 3);
  std::vector<Complex> round_trip = data;
  fft(round_trip, FftDirection::forward);
  fft(round_trip, FftDirection::inverse);
  double worst = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) worst = std::max(worst, std::abs(round_trip[i] - data[i]));
  CHECK(worst < 1e-13);
  std::vector<Complex> bad(12);
  CHECK_THROWS_AS(fft(bad, FftDirection::forward), veil::Error);
  CHECK_THROWS_AS(FftPlan(12, FftDirection::forward), veil::Error);
}

TEST_CASE("an FFT plan transforms each lane as its own 1-D transform", "[core][fft]") {
  const std::size_t n = 16, lanes = 3;
  const std::vector<Complex> data = random_values(n * lanes, 11);
  std::vector<Complex> together = data;
  const FftPlan plan(n, FftDirection::inverse);
  plan(together, lanes);
  for (std::size_t l = 0; l < lanes; ++l) {
    std::vector<Complex> lane(n);
    for (std::size_t i = 0; i < n; ++i) lane[i] = data[i * lanes + l];
    plan(lane);
    for (std::size_t i = 0; i < n; ++i) CHECK(std::abs(together[i * lanes + l] - lane[i]) < 1e-15);
  }
}

TEST_CASE("fft2d is the 2-D DFT of a row-major array, and inverts", "[core][fft]") {
  const std::size_t rows = 4, cols = 8;
  const std::vector<Complex> data = random_values(rows * cols, 5);
  std::vector<Complex> transformed = data;
  fft2d(transformed, FftPlan(cols, FftDirection::forward), FftPlan(rows, FftDirection::forward));
  for (std::size_t u = 0; u < rows; ++u) {
    for (std::size_t v = 0; v < cols; ++v) {
      Complex expected = 0.0;
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) expected += data[r * cols + c] * root(-1, u * r, rows) * root(-1, v * c, cols);
      CHECK(std::abs(transformed[u * cols + v] - expected) < 1e-12);
    }
  }
  fft2d(transformed, FftPlan(cols, FftDirection::inverse), FftPlan(rows, FftDirection::inverse));
  for (std::size_t i = 0; i < data.size(); ++i) CHECK(std::abs(transformed[i] - data[i]) < 1e-14);
}
