#pragma once
// Scalar helpers shared by the privacy accountants: log-space arithmetic and
// Gaussian tail probabilities that stay accurate far into the tails, where
// accounting works (probabilities of 1e-12 and below, exponents past e^700).

namespace veil::privacy {

// log(exp(a) + exp(b)) without overflow; either argument may be -inf.
double log_add(double log_a, double log_b);

// log(erfc(x)) for every finite x, including x > 26 where erfc(x)
// underflows (there an asymptotic series is used).
double log_erfc(double x);

// Standard normal CDF Phi(x) = P[N(0,1) <= x], accurate in both tails as a
// relative quantity (computed through erfc, never as 1 - something).
double normal_cdf(double x);

// log Phi(x), finite for every finite x.
double log_normal_cdf(double x);

// log(exp(a) - exp(b)) for a >= b without cancellation in the exponentials;
// -inf when a == b or both are -inf. Rounding that leaves a < b also gives -inf.
double log_sub(double log_a, double log_b);

}  // namespace veil::privacy
