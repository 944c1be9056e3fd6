#pragma once
// Exact samplers from Canonne, Kamath and Steinke, "The Discrete Gaussian for
// Differential Privacy" (NeurIPS 2020), section 5:
//   discrete Gaussian N_Z(0, s2):  P[Y = y] proportional to exp(-y^2 / (2 s2)),
//   discrete Laplace  Lap_Z(t):    P[Y = y] proportional to exp(-|y| / t),
// for integers y. Everything reduces to uniform integers from a SecureRng and
// exact integer arithmetic on rational parameters: no floating point, so the
// output distribution is exactly the stated one (the point of Mironov 2012,
// see docs/secure_noise.md).
#include <cstdint>

#include "veil/core/secure_rng.h"

namespace veil {

// Bernoulli(num / den); requires 0 < den and num <= den.
bool bernoulli_rational(uint128 num, uint128 den, SecureRng& rng);

// Bernoulli(exp(-num / den)); requires den > 0. For gamma = num/den <= 1 the
// von Neumann race of the paper's Algorithm 1; larger gamma is split into
// floor(gamma) draws of Bernoulli(exp(-1)) and one of the fractional part.
bool bernoulli_exp_neg(uint128 num, uint128 den, SecureRng& rng);

// Lap_Z(t) for an integer scale 1 <= t <= 2^40 (Algorithm 2 with s = 1).
int64_t discrete_laplace(uint64_t t, SecureRng& rng);

// N_Z(0, num / den) (Algorithm 3): discrete Laplace proposals with scale
// t = floor(sqrt(num/den)) + 1, accepted with probability
// exp(-(|Y| - s2/t)^2 / (2 s2)). The arithmetic is exact in 128 bits; this
// needs 2 num den t^2 < 2^104 (e.g. den = 1 and num <= 2^50) and throws
// otherwise. Proposals so far out that |Y| t den - num needs more than 64
// bits are rejected outright: their acceptance probability is below
// exp(-2^24), so this changes no probability a double could represent.
int64_t discrete_gaussian(uint64_t num, uint64_t den, SecureRng& rng);

}  // namespace veil
