#include "veil/privacy/gaussian_noise.h"

#include <cmath>
#include <mutex>

#include "veil/core/error.h"
#include "veil/core/parallel.h"
#include "veil/privacy/discrete_gaussian.h"

namespace veil {
namespace {

// Bits of the secure grid below std: see SecureNoiseGrid and
// docs/secure_noise.md for the trade-off.
constexpr int kSecureGridBits = 24;
// Elements per generator split off the caller's SecureRng, so chunks can be
// sampled in parallel from independent keystreams.
constexpr int64_t kSecureChunk = 4096;

// Calls sink(i, z) with independent z ~ N_Z(0, sigma2) for i in [0, n).
template <typename Sink>
void for_each_discrete_gaussian(int64_t n, uint64_t sigma2, SecureRng& rng, Sink sink) {
  std::mutex rng_mutex;
  auto split = [&] {
    std::lock_guard<std::mutex> lock(rng_mutex);
    return rng.split();
  };
  const int64_t chunks = (n + kSecureChunk - 1) / kSecureChunk;
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      SecureRng local = split();
      const int64_t end = std::min(n, (c + 1) * kSecureChunk);
      for (int64_t i = c * kSecureChunk; i < end; ++i) sink(i, discrete_gaussian(sigma2, 1, local));
    }
  });
}

}  // namespace

PhiloxState noise_stream(uint64_t seed, uint64_t step, uint32_t param_index) {
  VEIL_CHECK(step < (uint64_t{1} << 32)) << "noise step " << step << " does not fit in 32 bits";
  VEIL_CHECK(param_index < (uint32_t{1} << 24)) << "parameter index " << param_index << " does not fit in 24 bits";
  return PhiloxState{seed, philox_stream(PhiloxPurpose::kGaussianNoise, (step << 24) | param_index), 0, 0};
}

NoiseSource NoiseSource::philox(uint64_t seed, uint64_t step, uint32_t param_index) {
  NoiseSource source;
  source.philox_ = noise_stream(seed, step, param_index);
  return source;
}

NoiseSource NoiseSource::secure(SecureRng& rng) {
  NoiseSource source;
  source.secure_ = &rng;
  return source;
}

SecureNoiseGrid secure_noise_grid(double std) {
  VEIL_CHECK(std::isfinite(std) && std > 0) << "secure noise needs a finite std > 0, got " << std;
  int exponent = 0;
  const double mantissa = std::frexp(std, &exponent);  // std = mantissa 2^exponent, mantissa in [0.5, 1)
  const double granularity = std::ldexp(1.0, exponent - 1 - kSecureGridBits);
  VEIL_CHECK(granularity > 0) << "noise std " << std << " is too small for a secure grid";
  // std / granularity = M 2^-28 exactly, with M the 53-bit integer mantissa.
  const auto m = static_cast<uint64_t>(std::ldexp(mantissa, 53));
  const uint128 m2 = uint128{m} * m;
  const auto sigma2 = static_cast<uint64_t>((m2 + ((uint128{1} << 56) - 1)) >> 56);
  return SecureNoiseGrid{granularity, sigma2};
}

void secure_gaussian_noise(float* out, int64_t n, double std, SecureRng& rng) {
  VEIL_CHECK(n >= 0) << "noise for " << n << " elements";
  const SecureNoiseGrid grid = secure_noise_grid(std);
  for_each_discrete_gaussian(n, grid.sigma2, rng, [&](int64_t i, int64_t z) {
    out[i] = static_cast<float>(static_cast<double>(z) * grid.granularity);
  });
}

void add_gaussian_noise(float* data, int64_t n, double std, const NoiseSource& source) {
  VEIL_CHECK(n >= 0) << "noise for " << n << " elements";
  VEIL_CHECK(std::isfinite(std) && std >= 0) << "noise std must be finite and >= 0, got " << std;
  if (std == 0) return;
  if (!source.is_secure()) {
    philox_for_each<kPhiloxDoublesPerBlock>(n, source.philox_, philox_normal_double2, [=](int64_t i, double z) {
      data[i] = static_cast<float>(data[i] + std * z);
    });
    return;
  }
  const SecureNoiseGrid grid = secure_noise_grid(std);
  for_each_discrete_gaussian(n, grid.sigma2, *source.secure_, [&](int64_t i, int64_t z) {
    // Grid point plus noise is an integer times a power of two, exact in
    // double below 2^53 grid steps; beyond that and in the cast to float it
    // is rounded, and rounding an exactly noised value is post-processing.
    const double snapped = std::nearbyint(static_cast<double>(data[i]) / grid.granularity);
    data[i] = static_cast<float>((snapped + static_cast<double>(z)) * grid.granularity);
  });
}

}  // namespace veil
