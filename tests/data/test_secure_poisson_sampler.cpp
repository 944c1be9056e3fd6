// Poisson sampling in secure mode: the same distribution as the seeded
// sampler, batches a function of the step within one sampler, and a fresh
// OS key for every sampler (nothing to reproduce them from).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/data/poisson_sampler.h"

using namespace veil;

TEST_CASE("secure Poisson batches include each example independently at rate q", "[poisson_sampler][secure]") {
  const int64_t n = 1000;
  const double q = 0.02;
  const int steps = 2000;
  const PoissonSampler sampler = PoissonSampler::make_secure(n, q);
  REQUIRE(sampler.is_secure());
  REQUIRE(!PoissonSampler(n, q, 1).is_secure());
  double sum = 0, sum2 = 0;
  std::vector<double> per_index(n, 0);
  int malformed = 0;
  for (int t = 0; t < steps; ++t) {
    const std::vector<int64_t> batch = sampler.sample(t);
    for (std::size_t i = 0; i < batch.size(); ++i)
      malformed += batch[i] < 0 || batch[i] >= n || (i > 0 && batch[i] <= batch[i - 1]);
    sum += batch.size();
    sum2 += double(batch.size()) * batch.size();
    for (int64_t i : batch) per_index[i] += 1;
  }
  CHECK(malformed == 0);
  const double var = n * q * (1 - q), mean = sum / steps;
  const double sample_var = (sum2 - steps * mean * mean) / (steps - 1);
  CHECK(std::abs(mean - n * q) < 4 * std::sqrt(var / steps));
  CHECK(std::abs(sample_var - var) < 5 * var * std::sqrt(2.0 / (steps - 1)));
  const double expected = steps * q;
  double chi2 = 0;
  for (double c : per_index) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < (n - 1) + 5 * std::sqrt(2.0 * (n - 1)));
}

TEST_CASE("a secure sampler's batches depend on the step; another sampler draws others", "[poisson_sampler][secure]") {
  const PoissonSampler a = PoissonSampler::make_secure(5000, 0.02), b = PoissonSampler::make_secure(5000, 0.02);
  const std::vector<int64_t> first = a.sample(17);
  REQUIRE(!first.empty());
  a.sample(3);  // no hidden state: prefetching a step and re-reading it agree
  CHECK(a.sample(17) == first);
  CHECK(a.sample(18) != first);
  CHECK(b.sample(17) != first);  // a fresh key: collisions have probability ~1e-180
  CHECK(PoissonSampler(5000, 0.02, 0).sample(17) != first);  // the seed field plays no part
}

TEST_CASE("secure shards keep every example at rate q", "[poisson_sampler][secure]") {
  // Each rank has its own key, yet each example is decided by one rank's
  // stream alone: the union is still a Poisson sample at rate q.
  const int64_t n = 3001;
  const double q = 0.03;
  const int world = 3, steps = 300;
  std::vector<PoissonSampler> shards;
  for (int r = 0; r < world; ++r) shards.push_back(PoissonSampler::make_secure(n, q, r, world));
  double total = 0;
  int foreign = 0;
  for (int t = 0; t < steps; ++t)
    for (int r = 0; r < world; ++r)
      for (int64_t i : shards[r].sample(t)) {
        foreign += i % world != r;
        total += 1;
      }
  CHECK(foreign == 0);
  CHECK(std::abs(total / steps - n * q) < 4 * std::sqrt(n * q * (1 - q) / steps));
}
