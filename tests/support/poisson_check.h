#pragma once
// The statistical check shared by the seeded and the secure Poisson sampler:
// over `steps` batches every batch is sorted, unique and in range, batch
// sizes have mean Nq and variance Nq(1-q), and each index is included at
// rate q (a chi-square bound over the indices, the ends included).
#include "veil/data/poisson_sampler.h"

namespace veil::testing {

void check_poisson_inclusion(const PoissonSampler& sampler, std::int64_t n, double q, int steps);

}  // namespace veil::testing
