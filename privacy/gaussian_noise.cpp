#include "veil/privacy/gaussian_noise.h"

#include <cmath>
#include <mutex>

#include "veil/core/error.h"
#include "veil/core/lattice_kernels.h"
#include "veil/core/parallel.h"
#include "veil/core/philox_kernels.h"
#include "veil/privacy/discrete_gaussian.h"

namespace veil {
namespace {

// Bits of the secure grid below std: see SecureNoiseGrid and
// docs/secure_noise.md for the trade-off.
constexpr int kSecureGridBits = 24;
// Elements per generator split off the caller's SecureRng, so chunks can be
// sampled in parallel from independent keystreams.
constexpr int64_t kSecureChunk = 4096;

// n independent draws of N_Z(0, sigma2), each chunk from its own generator
// split off rng.
Tensor discrete_gaussian_steps(int64_t n, uint64_t sigma2, SecureRng& rng) {
  std::vector<int64_t> steps(static_cast<std::size_t>(n));
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
      for (int64_t i = c * kSecureChunk; i < end; ++i) steps[i] = discrete_gaussian(sigma2, 1, local);
    }
  });
  return Tensor::from_vector(steps, {n});
}

}  // namespace

PhiloxState noise_stream(uint64_t seed, uint64_t step, uint32_t param_index) {
  VEIL_CHECK(step < (uint64_t{1} << 32)) << "noise step " << step << " does not fit in 32 bits";
  VEIL_CHECK(param_index < (uint32_t{1} << 24)) << "parameter index " << param_index << " does not fit in 24 bits";
  return PhiloxState{seed, philox_stream(kGaussianNoisePurpose, (step << 24) | param_index), 0, 0};
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

Tensor secure_gaussian_noise(int64_t n, double std, SecureRng& rng) {
  VEIL_CHECK(n >= 0) << "noise for " << n << " elements";
  const SecureNoiseGrid grid = secure_noise_grid(std);
  // Zero snaps to grid point 0, so this is Z_i * granularity rounded to float.
  Tensor noise = Tensor::zeros({n});
  lattice_snap_add_(noise, discrete_gaussian_steps(n, grid.sigma2, rng), grid.granularity);
  return noise;
}

void add_gaussian_noise_(const Tensor& grad, double std, const NoiseSource& source) {
  VEIL_CHECK(std::isfinite(std) && std >= 0) << "noise std must be finite and >= 0, got " << std;
  if (std == 0) return;
  if (!source.is_secure()) {
    philox_add_normal_(grad, source.philox_, std);
    return;
  }
  const SecureNoiseGrid grid = secure_noise_grid(std);
  const Tensor steps = discrete_gaussian_steps(grad.numel(), grid.sigma2, *source.secure_).to(grad.device());
  lattice_snap_add_(grad, steps, grid.granularity);
}

}  // namespace veil
