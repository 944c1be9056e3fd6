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

// log(erfc(x) e^(x^2)), the log of the scaled complementary error function,
// for every x: about -log(x sqrt(pi)) for large x, where erfc(x) and e^(x^2)
// are both out of range. -inf at x = +inf.
double log_erfcx(double x);

// Standard normal CDF Phi(x) = P[N(0,1) <= x], accurate in both tails as a
// relative quantity (computed through erfc, never as 1 - something).
double normal_cdf(double x);

// log Phi(x), finite for every finite x.
double log_normal_cdf(double x);

// log(exp(a) - exp(b)) for a >= b without cancellation in the exponentials;
// -inf when a == b or both are -inf. Rounding that leaves a < b also gives -inf.
double log_sub(double log_a, double log_b);

// The privacy curve of the Gaussian mechanism whose sensitivity is mu noise
// standard deviations (one step at q = 1 and noise multiplier 1/mu), which is
// also the curve of mu-GDP (Dong, Roth, Su 2019):
//
//   delta(epsilon) = Phi(mu/2 - epsilon/mu) - e^epsilon Phi(-mu/2 - epsilon/mu).
//
// It is exact for both neighbouring relations. Computed in log space, so it
// holds for every mu >= 0 and epsilon >= 0: e^epsilon and e^(mu^2) are never
// formed, and delta may be far below the smallest double.
double gaussian_dp_log_delta(double mu, double epsilon);
double gaussian_dp_delta(double mu, double epsilon);

// The exact epsilon of that mechanism: the smallest epsilon >= 0 with
// delta(epsilon) <= delta, 0 < delta < 1, found by bisection to full double
// precision and reported as the bracket's upper end (where delta was met); +inf when it exceeds the double range (mu = +inf, or mu^2 / 2
// past about 1e308). Throws veil::Error for mu < 0 or delta outside (0, 1).
double gaussian_dp_epsilon(double mu, double delta);

}  // namespace veil::privacy
