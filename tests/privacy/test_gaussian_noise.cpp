#include <omp.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/philox_kernels.h"
#include "veil/privacy/gaussian_noise.h"
#include "veil/core/secure_rng.h"

using namespace veil;

namespace {

struct Stats {
  double mean = 0, var = 0;
};

Stats stats(const std::vector<float>& x) {
  Stats s;
  for (float v : x) s.mean += v;
  s.mean /= double(x.size());
  for (float v : x) s.var += (v - s.mean) * (v - s.mean);
  s.var /= double(x.size() - 1);
  return s;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  const Stats sa = stats(a), sb = stats(b);
  double cov = 0;
  for (size_t i = 0; i < a.size(); ++i) cov += (a[i] - sa.mean) * (b[i] - sb.mean);
  return cov / double(a.size() - 1) / std::sqrt(sa.var * sb.var);
}

std::vector<float> philox_noise(int64_t n, double std, uint64_t seed, uint64_t step, uint32_t param) {
  const Tensor x = Tensor::zeros({n});
  add_gaussian_noise_(x, std, NoiseSource::philox(seed, step, param));
  return x.to_vector<float>();
}

// data + noise through the tensor op, read back.
std::vector<float> noised(const std::vector<float>& data, double std, const NoiseSource& source) {
  const Tensor t = Tensor::from_vector(data, {static_cast<int64_t>(data.size())});
  add_gaussian_noise_(t, std, source);
  return t.to_vector<float>();
}

SecureRng test_rng(uint8_t tag) {
  std::array<uint8_t, 32> key{};
  key[31] = tag;
  return SecureRng(key);
}

}  // namespace

TEST_CASE("noise_stream packs (step, parameter) into disjoint Philox streams", "[gaussian_noise]") {
  const PhiloxState a = noise_stream(5, 3, 7);
  CHECK(a.seed == 5);
  CHECK(a.offset == 0);
  CHECK(a.stream == philox_stream(kGaussianNoisePurpose, (uint64_t{3} << 24) | 7));
  CHECK(noise_stream(5, 3, 8).stream != a.stream);
  CHECK(noise_stream(5, 4, 7).stream != a.stream);
  CHECK_THROWS_AS(noise_stream(5, uint64_t{1} << 32, 0), Error);
  CHECK_THROWS_AS(noise_stream(5, 0, uint32_t{1} << 24), Error);
}

TEST_CASE("Philox noise has mean 0 and variance std^2", "[gaussian_noise]") {
  const int64_t n = 200000;
  const double std = 2.5;
  const Stats s = stats(philox_noise(n, std, 1234, 10, 0));
  CHECK(std::abs(s.mean) < 5 * std / std::sqrt(n));
  CHECK(std::abs(s.var - std * std) < 5 * std * std * std::sqrt(2.0 / n));
}

TEST_CASE("Philox noise is reproducible by key and independent across keys", "[gaussian_noise]") {
  const int64_t n = 100000;
  const std::vector<float> base = philox_noise(n, 1.0, 77, 5, 2);
  CHECK(philox_noise(n, 1.0, 77, 5, 2) == base);
  const double bound = 5 / std::sqrt(double(n));
  CHECK(std::abs(correlation(base, philox_noise(n, 1.0, 77, 6, 2))) < bound);  // next step
  CHECK(std::abs(correlation(base, philox_noise(n, 1.0, 77, 5, 3))) < bound);  // next parameter
  CHECK(std::abs(correlation(base, philox_noise(n, 1.0, 78, 5, 2))) < bound);  // another seed
}

TEST_CASE("Philox noise is added to the data, follows the fill rule, ignores thread count", "[gaussian_noise]") {
  const int64_t n = 10001;
  std::vector<float> data(n);
  for (int64_t i = 0; i < n; ++i) data[i] = 0.001f * float(i);
  std::vector<float> one = data, two = data;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  one = noised(one, 0.5, NoiseSource::philox(9, 1, 1));
  omp_set_num_threads(2);
  two = noised(two, 0.5, NoiseSource::philox(9, 1, 1));
  omp_set_num_threads(saved);
  CHECK(one == two);

  const Tensor normals = Tensor::empty({n}, DType::Float64);
  philox_fill_normal_(normals, noise_stream(9, 1, 1), 0.0, 1.0);
  const std::vector<double> z = normals.to_vector<double>();
  int mismatches = 0;
  for (int64_t i = 0; i < n; ++i) mismatches += one[i] != static_cast<float>(data[i] + 0.5 * z[i]);
  CHECK(mismatches == 0);

  std::vector<float> untouched = data;
  untouched = noised(untouched, 0.0, NoiseSource::philox(9, 1, 1));
  CHECK(untouched == data);
  CHECK_THROWS_AS(noised(untouched, -1.0, NoiseSource::philox(9, 1, 1)), Error);
  CHECK_THROWS_AS(noised(untouched, NAN, NoiseSource::philox(9, 1, 1)), Error);
}

TEST_CASE("secure_noise_grid is a power of two 2^-24 below std and never shrinks the variance",
          "[gaussian_noise]") {
  for (double std : {1.0, 0.37, 2.5, 1e-3, 123456.7}) {
    const SecureNoiseGrid grid = secure_noise_grid(std);
    int exponent = 0;
    CHECK(std::frexp(grid.granularity, &exponent) == 0.5);  // a power of two
    const double ratio = std / grid.granularity;
    CHECK(ratio >= 0x1p24);
    CHECK(ratio < 0x1p25);
    const double realised = double(grid.sigma2) * grid.granularity * grid.granularity;
    CHECK(realised >= std * std * (1 - 1e-15));
    CHECK(realised <= std * std * (1 + 0x1p-46));
  }
  CHECK(secure_noise_grid(1.0).sigma2 == (uint64_t{1} << 48));
  CHECK_THROWS_AS(secure_noise_grid(0.0), Error);
  CHECK_THROWS_AS(secure_noise_grid(INFINITY), Error);
}

TEST_CASE("secure noise lies on the grid with mean 0 and variance std^2", "[gaussian_noise]") {
  SecureRng rng = test_rng(1);
  const int64_t n = 40000;
  const double std = 1.7;
  const std::vector<float> noise = secure_gaussian_noise(n, std, rng).to_vector<float>();
  const Stats s = stats(noise);
  CHECK(std::abs(s.mean) < 5 * std / std::sqrt(n));
  CHECK(std::abs(s.var - std * std) < 5 * std * std * std::sqrt(2.0 / n));
  const double g = secure_noise_grid(std).granularity;
  int off_grid = 0;
  for (float v : noise) off_grid += std::fmod(double(v) / g, 1.0) != 0.0;
  CHECK(off_grid == 0);
  CHECK(std::abs(correlation(std::vector<float>(noise.begin(), noise.begin() + n / 2),
                             std::vector<float>(noise.begin() + n / 2, noise.end()))) <
        5 / std::sqrt(n / 2.0));
}

TEST_CASE("secure add depends on the input only through its grid point", "[gaussian_noise]") {
  // Mironov's attack reads the input from which floats x + noise can reach.
  // Secure mode rounds x to the grid first, so two inputs that round to the
  // same grid point give identical outputs under the same randomness, while
  // naive floating-point noise keeps them apart.
  const double std = 16.0;
  const double g = secure_noise_grid(std).granularity;
  REQUIRE(g == 0x1p-20);
  const int64_t n = 5000;
  std::vector<float> a(n), b(n);
  for (int64_t i = 0; i < n; ++i) {
    const float point = float(1000 + i % 1000) * 0x1p-20f;
    a[i] = point + 0x1p-22f;       // +1/4 of a grid step
    b[i] = point - 3 * 0x1p-23f;   // -3/8 of a grid step
  }
  // One thread, so chunk c always receives the c-th split generator.
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  std::vector<float> secure_a = a, secure_b = b;
  SecureRng rng_a = test_rng(2), rng_b = test_rng(2);
  secure_a = noised(secure_a, std, NoiseSource::secure(rng_a));
  secure_b = noised(secure_b, std, NoiseSource::secure(rng_b));
  omp_set_num_threads(saved);
  CHECK(secure_a == secure_b);

  std::vector<float> naive_a = a, naive_b = b;
  naive_a = noised(naive_a, std, NoiseSource::philox(1, 1, 1));
  naive_b = noised(naive_b, std, NoiseSource::philox(1, 1, 1));
  CHECK(naive_a != naive_b);

  // Every output is a grid point, whatever the input's low bits were.
  int off_grid = 0;
  for (float v : secure_a) off_grid += std::fmod(double(v) / g, 1.0) != 0.0;
  CHECK(off_grid == 0);
  CHECK(stats(secure_a).var > 0.9 * std * std);  // the noise is really there
}

TEST_CASE("secure add has mean 0 and variance std^2 around the data", "[gaussian_noise]") {
  SecureRng rng = test_rng(4);
  const int64_t n = 40000;
  const double std = 0.3;
  std::vector<float> data(n, 5.0f);
  data = noised(data, std, NoiseSource::secure(rng));
  const Stats s = stats(data);
  CHECK(std::abs(s.mean - 5.0) < 5 * std / std::sqrt(n));
  CHECK(std::abs(s.var - std * std) < 5 * std * std * std::sqrt(2.0 / n));
  CHECK(NoiseSource::secure(rng).is_secure());
  CHECK_FALSE(NoiseSource::philox(1, 1, 1).is_secure());
}
