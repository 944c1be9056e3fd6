#pragma once
// One-line accountant runs for the privacy tests: a fresh accountant, `steps`
// steps at noise multiplier sigma and sample rate q, then its answer at delta.
#include <cstdint>

#include "veil/privacy/prv_accountant.h"

namespace veil::testing {

privacy::PrvResult prv(double sigma, double q, std::int64_t steps, double delta, privacy::PrvOptions options = {});

double rdp_epsilon(double sigma, double q, std::int64_t steps, double delta);

}  // namespace veil::testing
