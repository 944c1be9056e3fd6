#pragma once
// Test oracle: the exact privacy curve of the Gaussian mechanism, the one
// closed form numerical accountants can be checked against. T steps at q = 1
// with noise multiplier sigma compose to the Gaussian mechanism with
// mu = sqrt(T) / sigma, whose curve is (Balle, Wang 2018)
//
//   delta(eps) = Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2).
//
// Evaluated in log space, so it holds for mu in the hundreds (sigma 0.01,
// epsilon in the thousands).

namespace veil::test {

// delta(eps) above, for mu > 0 and eps >= 0.
double gaussian_mechanism_delta(double mu, double epsilon);

// The smallest eps >= 0 with delta(eps) <= delta, to 1e-12 relative.
double gaussian_mechanism_epsilon(double mu, double delta);

}  // namespace veil::test
