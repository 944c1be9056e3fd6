// data/scattering2d.h and data/morlet_filters.h: the filter bank's
// properties, the output's shape and channel order, its invariances, and
// agreement with a direct computation in space (no FFT) on a small image.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <vector>

#include "veil/core/error.h"
#include "veil/data/morlet_filters.h"
#include "veil/data/scattering2d.h"

using namespace veil;
using namespace veil::data;

namespace {

using Complex = std::complex<double>;
using Grid = std::vector<Complex>;  // row-major n x n

// A smooth blob of pixels centred at (row, col).
std::vector<float> blob(std::int64_t size, double row, double col) {
  std::vector<float> image(static_cast<std::size_t>(size * size));
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c) {
      const double d0 = double(r) - row, d1 = double(c) - col;
      image[static_cast<std::size_t>(r * size + c)] =
          static_cast<float>(std::exp(-(d0 * d0 + 2.0 * d1 * d1) / 6.0) + 0.5 * std::exp(-(d0 * d0 + d1 * d1) / 2.0) * (d0 > 0));
    }
  return image;
}

std::vector<float> scatter(const Scattering2d& s, const std::vector<float>& image) {
  std::vector<float> out(static_cast<std::size_t>(s.channels() * s.out_height() * s.out_width()));
  s.transform(image, out);
  return out;
}

// The direct computation: naive DFTs and circular convolutions in space.
Grid dft(const Grid& x, std::int64_t n, double sign) {
  Grid out(x.size());
  for (std::int64_t u = 0; u < n; ++u)
    for (std::int64_t v = 0; v < n; ++v) {
      Complex sum = 0.0;
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t c = 0; c < n; ++c)
          sum += x[r * n + c] * std::polar(1.0, sign * 2 * std::numbers::pi * double((u * r + v * c) % n) / double(n));
      out[u * n + v] = sign > 0 ? sum / double(n * n) : sum;
    }
  return out;
}

// A filter given in space on the n x n grid, as a signal subsampled by
// `factor` sees it: its spectrum cut to the frequencies of the smaller grid,
// back in space there.
Grid band_limited(const Grid& filter, std::int64_t n, std::int64_t factor) {
  const Grid spectrum = dft(filter, n, -1.0);
  const std::int64_t m = n / factor;
  Grid cut(static_cast<std::size_t>(m * m));
  const auto signed_frequency = [&](std::int64_t i) { return i < m / 2 ? i : i - m + n; };
  for (std::int64_t u = 0; u < m; ++u)
    for (std::int64_t v = 0; v < m; ++v) cut[u * m + v] = spectrum[signed_frequency(u) * n + signed_frequency(v)].real();
  return dft(cut, m, 1.0);
}

// (x circularly convolved with h) sampled every `step` points, on the n x n grid.
Grid convolve_and_sample(const Grid& x, const Grid& h, std::int64_t n, std::int64_t step) {
  const std::int64_t m = n / step;
  Grid out(static_cast<std::size_t>(m * m));
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      Complex sum = 0.0;
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t c = 0; c < n; ++c)
          sum += x[r * n + c] * h[((a * step - r) % n + n) % n * n + ((b * step - c) % n + n) % n];
      out[a * m + b] = sum;
    }
  return out;
}

Grid modulus(Grid x) {
  for (Complex& v : x) v = std::abs(v);
  return x;
}

}  // namespace

TEST_CASE("the Morlet filter bank: a unit low-pass, zero-mean wavelets, a bounded Littlewood-Paley sum",
          "[data][scattering]") {
  const std::int64_t n = 32, J = 2, L = 8;
  const MorletFilterBank bank = morlet_filter_bank(n, n, J, L);
  REQUIRE(bank.psi.size() == static_cast<std::size_t>(J * L));
  CHECK(bank.phi[0] == Approx(1.0).margin(1e-12));  // the low-pass sums to 1: it keeps a constant
  double phi_min = 1.0;
  for (double value : bank.phi) phi_min = std::min(phi_min, value);
  CHECK(phi_min > 0.0);
  for (const std::vector<double>& psi : bank.psi) {
    CHECK(std::abs(psi[0]) < 1e-12);  // zero mean
    double peak = 0.0;
    for (double value : psi) peak = std::max(peak, value);
    CHECK(peak > 0.9);
    CHECK(peak < 1.0);
  }
  // A(w) = phi(w)^2 + 1/2 sum_psi (psi(w)^2 + psi(-w)^2): at most 1, so the
  // transform does not expand distances; bounded below, so it loses no
  // frequency of the grid.
  double a_min = 2.0, a_max = 0.0;
  for (std::int64_t u = 0; u < n; ++u)
    for (std::int64_t v = 0; v < n; ++v) {
      const std::int64_t w = u * n + v, minus = ((n - u) % n) * n + (n - v) % n;
      double a = bank.phi[w] * bank.phi[w];
      for (const std::vector<double>& psi : bank.psi) a += 0.5 * (psi[w] * psi[w] + psi[minus] * psi[minus]);
      a_min = std::min(a_min, a);
      a_max = std::max(a_max, a);
    }
  CHECK(a_max <= 1.0 + 1e-9);
  CHECK(a_min > 0.1);
  CHECK_THROWS_AS(morlet_filter_bank(24, 32, J, L), veil::Error);
}

TEST_CASE("the scattering of a 28 x 28 image has Kymatio's 81 channels of 7 x 7", "[data][scattering]") {
  const Scattering2d s(28, 28);
  CHECK(s.channels() == 81);
  CHECK(s.out_height() == 7);
  CHECK(s.out_width() == 7);
  const Scattering2d other(20, 32, {.J = 3, .L = 4});
  CHECK(other.channels() == 1 + 3 * 4 + 16 * 3);
  // Samples every 8 pixels inside the image: 32 + 8 -> a grid of 64 padded by 16, so columns 0, 8, 16, 24.
  CHECK(other.out_width() == 4);
  CHECK(other.out_height() == 3);  // 20 + 8 -> 32, padded by 6: rows 2, 10, 18
  const Tensor images = Tensor::zeros({3, 1, 28, 28});
  const Tensor features = s(images);
  CHECK(features.shape() == Shape{3, 81, 7, 7});
  CHECK_THROWS_AS(s(Tensor::zeros({3, 1, 27, 28})), veil::Error);
  CHECK_THROWS_AS(Scattering2d(28, 28, {.J = 0, .L = 8}), veil::Error);
}

TEST_CASE("a constant image scatters to its value in order 0 and to zero above", "[data][scattering]") {
  const Scattering2d s(28, 28);
  const std::vector<float> out = scatter(s, std::vector<float>(28 * 28, 0.75f));
  const std::size_t plane = 49;
  for (std::size_t i = 0; i < out.size(); ++i) {
    INFO("value " << i << " (channel " << i / plane << ")");
    CHECK(out[i] == Approx(i < plane ? 0.75 : 0.0).margin(1e-6));
  }
}

TEST_CASE("shifting an image by 2^J pixels shifts its scattering by one sample", "[data][scattering]") {
  const Scattering2d s(28, 28);
  // Away from the borders, so the padding sees only zeros either way.
  const std::vector<float> a = scatter(s, blob(28, 12.0, 11.0)), b = scatter(s, blob(28, 16.0, 15.0));
  double largest = 0.0;
  for (float v : a) largest = std::max(largest, double(v));
  for (std::int64_t channel = 0; channel < 81; ++channel)
    for (std::int64_t i = 0; i + 1 < 7; ++i)
      for (std::int64_t k = 0; k + 1 < 7; ++k) {
        INFO("channel " << channel << " at " << i << ", " << k);
        CHECK(b[channel * 49 + (i + 1) * 7 + k + 1] == Approx(a[channel * 49 + i * 7 + k]).margin(1e-6 * largest));
      }
  // Nearly invariant to a 1-pixel shift, unlike the pixels: a thin stroke
  // moved by one column shares no pixel with itself (relative change
  // sqrt(2)), while its features move far less.
  std::vector<float> image(28 * 28), moved(28 * 28);
  for (std::size_t r = 8; r < 20; ++r) image[r * 28 + 12] = moved[r * 28 + 13] = 1.0f;
  const auto relative = [](const std::vector<float>& x, const std::vector<float>& y) {
    double diff = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) diff += (x[i] - y[i]) * (x[i] - y[i]), norm += x[i] * x[i];
    return std::sqrt(diff / norm);
  };
  INFO("pixels " << relative(image, moved) << ", features " << relative(scatter(s, image), scatter(s, moved)));
  CHECK(relative(scatter(s, image), scatter(s, moved)) < 0.5 * relative(image, moved));
}

TEST_CASE("the FFT scattering equals a direct computation in space", "[data][scattering]") {
  // 8 x 8 pixels, J = 2: a 16 x 16 grid padded by 4, outputs at pixels 0 and 4.
  const std::int64_t size = 8, n = 16, pad = 4, J = 2, L = 3;
  const Scattering2d s(size, size, {.J = J, .L = L});
  REQUIRE(s.out_height() == 2);
  std::vector<float> image(static_cast<std::size_t>(size * size));
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(std::sin(0.7 * double(i)) + 0.1 * double(i % 5));
  const std::vector<float> fast = scatter(s, image);

  const auto reflect = [&](std::int64_t i) {
    while (i < 0 || i >= size) i = i < 0 ? -i : 2 * (size - 1) - i;
    return i;
  };
  Grid x(static_cast<std::size_t>(n * n));
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t c = 0; c < n; ++c) x[r * n + c] = image[reflect(r - pad) * size + reflect(c - pad)];
  const Grid phi = gabor_2d(n, n, 0.8 * 2, 0.0, 0.0, 1.0);
  std::vector<Grid> psi;
  for (std::int64_t j = 0; j < J; ++j)
    for (std::int64_t t = 0; t < L; ++t)
      psi.push_back(morlet_2d(n, n, 0.8 * double(1 << j), double(t) * std::numbers::pi / double(L),
                              0.75 * std::numbers::pi / double(1 << j), 4.0 / double(L)));
  // Low-pass of a signal at resolution r, sampled every 2^J pixels of the
  // full grid; the samples at pixels 0 and 4 are grid points 1 and 2.
  std::vector<double> direct;
  const auto output = [&](const Grid& u, std::int64_t r) {
    const Grid low = convolve_and_sample(u, band_limited(phi, n, 1 << r), n >> r, 1 << (J - r));
    for (std::int64_t i = 1; i <= 2; ++i)
      for (std::int64_t k = 1; k <= 2; ++k) direct.push_back(low[i * (n >> J) + k].real());
  };
  output(x, 0);
  std::vector<Grid> first;
  for (std::int64_t j1 = 0; j1 < J; ++j1)
    for (std::int64_t t1 = 0; t1 < L; ++t1) {
      first.push_back(modulus(convolve_and_sample(x, psi[j1 * L + t1], n, 1 << j1)));
      output(first.back(), j1);
    }
  for (std::int64_t j1 = 0; j1 < J; ++j1)
    for (std::int64_t t1 = 0; t1 < L; ++t1)
      for (std::int64_t j2 = j1 + 1; j2 < J; ++j2)
        for (std::int64_t t2 = 0; t2 < L; ++t2) {
          const Grid h = band_limited(psi[j2 * L + t2], n, 1 << j1);
          output(modulus(convolve_and_sample(first[j1 * L + t1], h, n >> j1, 1 << (j2 - j1))), j2);
        }
  REQUIRE(direct.size() == fast.size());
  for (std::size_t i = 0; i < fast.size(); ++i) {
    INFO("value " << i << " (channel " << i / 4 << ")");
    CHECK(fast[i] == Approx(direct[i]).margin(1e-5));
  }
}

TEST_CASE("scattering_features transforms every example and keeps the targets", "[data][scattering]") {
  const Scattering2d s(28, 28);
  std::vector<float> pixels;
  for (double centre : {10.0, 14.0, 17.0}) {
    const std::vector<float> b = blob(28, centre, 13.0);
    pixels.insert(pixels.end(), b.begin(), b.end());
  }
  const TensorDataset images(Tensor::from_vector(pixels, {3, 1, 28, 28}), Tensor::from_vector<std::int64_t>({4, 0, 9}, {3}));
  const TensorDataset features = scattering_features(images, s);
  REQUIRE(features.size() == 3);
  CHECK(features.inputs().shape() == Shape{3, 81, 7, 7});
  CHECK(features.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 0, 9});
  const std::vector<float> second = scatter(s, blob(28, 14.0, 13.0));
  const std::vector<float> stored = features.inputs().to_vector<float>();
  for (std::size_t i = 0; i < second.size(); ++i) CHECK(stored[second.size() + i] == second[i]);
}
