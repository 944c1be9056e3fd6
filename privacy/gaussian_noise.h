#pragma once
// The Gaussian mechanism's noise for DP-SGD (DESIGN.md, step 6): N(0, std^2)
// added to every coordinate of a parameter's clipped gradient sum, where
// std = noise_multiplier * clip_norm. Two sources:
//
// Philox (default). Reproducible: the noise of step `step` for parameter
// tensor `param_index` (its position in the model's parameter list) is
// element-wise Philox output at noise_stream(seed, step, param_index):
//   key = seed, stream = philox_stream(kGaussianNoisePurpose, step * 2^24 + param_index),
//   offset = 0,
// one double Box-Muller pair per block (Note [Philox streams]). Every
// (step, parameter) owns a whole 2^64-block stream, so no two ever overlap,
// and any rank or device can regenerate the same noise from the seed.
//
// Secure. Discrete Gaussian noise on a grid drawn from a SecureRng, with the
// data snapped onto the same grid first (docs/secure_noise.md): the released
// value is post-processing of an exactly distributed one, which closes the
// floating-point attack of Mironov 2012. Not reproducible by design.
#include <cstdint>

#include "veil/core/philox.h"
#include "veil/core/secure_rng.h"
#include "veil/core/tensor.h"

namespace veil {

// The noise's Philox streams (Note [Philox streams]).
inline constexpr PhiloxPurpose kGaussianNoisePurpose{1};

// The Philox position of the noise for (step, param_index); step < 2^32,
// param_index < 2^24 (throws otherwise).
PhiloxState noise_stream(uint64_t seed, uint64_t step, uint32_t param_index);

// Where one call's noise comes from. Holds a reference to a SecureRng in
// secure mode: the generator must outlive the source.
class NoiseSource {
 public:
  static NoiseSource philox(uint64_t seed, uint64_t step, uint32_t param_index);
  static NoiseSource secure(SecureRng& rng);

  bool is_secure() const { return secure_ != nullptr; }

 private:
  friend void add_gaussian_noise_(const Tensor& grad, double std, const NoiseSource& source);
  PhiloxState philox_{};
  SecureRng* secure_ = nullptr;
};

// grad += N(0, std^2) noise from `source`, element-wise, on grad's device;
// grad contiguous and floating, std >= 0 and finite (std == 0 leaves grad
// untouched). Philox: grad[i] = T(grad[i] + std * z_i) with the double
// normals of noise_stream (core/philox_kernels.h). Secure: grad is first
// rounded to the grid of secure_noise_grid(std) (core/lattice_kernels.h);
// the discrete Gaussian steps are drawn on the host, in parallel chunks.
// The Philox result does not depend on the number of threads.
void add_gaussian_noise_(const Tensor& grad, double std, const NoiseSource& source);

// Secure mode's lattice for a given std: noise = Z * granularity with
// Z ~ N_Z(0, sigma2). granularity is the power of two 2^(floor(log2 std) - 24),
// so std / granularity lies in [2^24, 2^25), and sigma2 = ceil((std /
// granularity)^2): the noise variance is std^2 rounded up by a relative
// 2^-48 at most, never down.
struct SecureNoiseGrid {
  double granularity;
  uint64_t sigma2;
};
SecureNoiseGrid secure_noise_grid(double std);

// The secure noise alone: float32 [n] on the CPU, element i = Z_i *
// granularity rounded to float; std > 0. Adding these to data in floating
// point would bring the attack back: use add_gaussian_noise_ with a secure
// source for that.
Tensor secure_gaussian_noise(int64_t n, double std, SecureRng& rng);

}  // namespace veil
