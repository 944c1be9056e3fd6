#pragma once
// Noise calibration: the noise multiplier that makes a DP-SGD schedule meet a
// privacy target.
#include <cstdint>
#include <string>

namespace veil::privacy {

// The smallest noise multiplier sigma (to within `tolerance`, relative) for
// which `steps` steps at sample rate q give epsilon <= target_epsilon at
// `delta` under the named accountant ("rdp", "prv", "pld" or "gdp").
//
// Never overshoots: the returned sigma was itself evaluated and met the
// target. The search doubles or halves from sigma = 1 until it brackets the
// target (epsilon decreases with sigma), then bisects until the returned
// sigma is within tolerance * sigma of one that missed the target.
//
// Throws veil::Error for target_epsilon <= 0, delta outside (0, 1), q outside
// (0, 1], steps < 1, tolerance outside (0, 0.5], an unknown accountant, and
// for targets no sigma reaches: every accountant has a floor on epsilon at a
// given delta (RDP's conversion over orders up to 63, for one, cannot certify
// epsilon below about 0.1 at delta = 1e-5 whatever the noise).
double noise_for_epsilon(double target_epsilon, double delta, double sample_rate,
                         std::int64_t steps, const std::string& accountant_name = "rdp",
                         double tolerance = 1e-3);

}  // namespace veil::privacy
