#include "veil/privacy/discrete_gaussian.h"

#include <cmath>

#include "veil/core/error.h"

namespace veil {
namespace {

constexpr uint128 kOne = 1;

// Bernoulli(exp(-gamma)) for gamma = num/den in [0, 1]: count K while
// Bernoulli(gamma / K) succeeds; P[K odd] = exp(-gamma) (von Neumann). The
// draw Bernoulli(gamma / K) is Bernoulli(gamma) and Bernoulli(1 / K) at
// once, which keeps every denominator within 128 bits.
bool bernoulli_exp_neg_unit(uint128 num, uint128 den, SecureRng& rng) {
  uint64_t k = 1;
  while (bernoulli_rational(num, den, rng) && rng.uniform_below(k) == 0) ++k;
  return k % 2 == 1;
}

// floor(sqrt(num / den)), exactly.
uint64_t floor_sqrt_ratio(uint64_t num, uint64_t den) {
  auto r = static_cast<uint64_t>(std::sqrt(static_cast<long double>(num) / den));
  while (r > 0 && uint128{r} * r * den > num) --r;
  while (uint128{r + 1} * (r + 1) * den <= num) ++r;
  return r;
}

}  // namespace

bool bernoulli_rational(uint128 num, uint128 den, SecureRng& rng) {
  VEIL_CHECK(den > 0 && num <= den) << "Bernoulli parameter must be in [0, 1]";
  if (num == 0 || num == den) return num != 0;  // certain: spend no randomness
  return rng.uniform_below_u128(den) < num;
}

bool bernoulli_exp_neg(uint128 num, uint128 den, SecureRng& rng) {
  VEIL_CHECK(den > 0) << "exp(-num/den) needs den > 0";
  // Each Bernoulli(exp(-1)) fails with probability 0.63, so this loop ends
  // after about 1.6 rounds however large num / den is.
  for (uint128 whole = num / den; whole > 0; --whole) {
    if (!bernoulli_exp_neg_unit(1, 1, rng)) return false;
  }
  return bernoulli_exp_neg_unit(num % den, den, rng);
}

int64_t discrete_laplace(uint64_t t, SecureRng& rng) {
  VEIL_CHECK(t >= 1 && t <= (uint64_t{1} << 40)) << "discrete Laplace scale " << t << " outside [1, 2^40]";
  while (true) {
    // X = U + t V with U uniform on [0, t) accepted with probability
    // exp(-U/t) and V geometric: X is geometric with ratio exp(-1/t).
    const uint64_t u = rng.uniform_below(t);
    if (!bernoulli_exp_neg(u, t, rng)) continue;
    uint64_t v = 0;
    while (bernoulli_exp_neg(1, 1, rng)) ++v;
    const uint128 x = u + uint128{t} * v;
    // |X| >= 2^62 has probability below exp(-2^22) at t <= 2^40.
    if (x >> 62 != 0) continue;
    const bool negative = (rng.next_u32() & 1) != 0;
    if (negative && x == 0) continue;  // otherwise 0 would come up twice as often
    return negative ? -static_cast<int64_t>(x) : static_cast<int64_t>(x);
  }
}

int64_t discrete_gaussian(uint64_t num, uint64_t den, SecureRng& rng) {
  VEIL_CHECK(num > 0 && den > 0) << "discrete Gaussian variance " << num << "/" << den << " must be positive";
  const uint64_t t = floor_sqrt_ratio(num, den) + 1;
  // gamma = (|Y| - s2/t)^2 / (2 s2) = (|Y| t den - num)^2 / (2 num den t^2).
  const uint128 num_den = uint128{num} * den;
  uint128 gamma_den = 0;
  const bool fits = num_den >> 103 == 0 && !__builtin_mul_overflow(2 * num_den, uint128{t} * t, &gamma_den) &&
                    gamma_den >> 104 == 0;
  VEIL_CHECK(fits) << "discrete Gaussian variance " << num << "/" << den
                   << " needs more than the 128-bit exact arithmetic offers";
  while (true) {
    const int64_t y = discrete_laplace(t, rng);
    const uint128 magnitude = static_cast<uint64_t>(y < 0 ? -y : y);
    uint128 scaled = 0;
    if (__builtin_mul_overflow(magnitude * t, uint128{den}, &scaled)) continue;
    const uint128 diff = scaled >= num ? scaled - num : num - scaled;
    if (diff >> 64 != 0) continue;
    if (bernoulli_exp_neg(diff * diff, gamma_den, rng)) return y;
  }
}

}  // namespace veil
