#include "support/poisson_check.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace veil::testing {

void check_poisson_inclusion(const PoissonSampler& sampler, std::int64_t n, double q, int steps) {
  double sum = 0, sum2 = 0;
  std::vector<double> per_index(n, 0);
  int malformed = 0;
  for (int t = 0; t < steps; ++t) {
    const std::vector<std::int64_t> batch = sampler.sample(t);
    for (std::size_t i = 0; i < batch.size(); ++i)
      malformed += batch[i] < 0 || batch[i] >= n || (i > 0 && batch[i] <= batch[i - 1]);
    sum += batch.size();
    sum2 += double(batch.size()) * batch.size();
    for (std::int64_t i : batch) per_index[i] += 1;
  }
  CHECK(malformed == 0);
  const double var = n * q * (1 - q), mean = sum / steps;
  const double sample_var = (sum2 - steps * mean * mean) / (steps - 1);
  CHECK(std::abs(mean - n * q) < 4 * std::sqrt(var / steps));
  CHECK(std::abs(sample_var - var) < 5 * var * std::sqrt(2.0 / (steps - 1)));

  // Every index is included at rate q: no bias at the ends of the range.
  const double expected = steps * q;
  double chi2 = 0;
  for (double c : per_index) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < (n - 1) + 5 * std::sqrt(2.0 * (n - 1)));
  CHECK(per_index.front() > 0);
  CHECK(per_index.back() > 0);
}

}  // namespace veil::testing
