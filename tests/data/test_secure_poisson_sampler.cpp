// Poisson sampling in secure mode: the same distribution as the seeded
// sampler, batches a function of the step within one sampler, and a fresh
// OS key for every sampler (nothing to reproduce them from).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "support/poisson_check.h"
#include "veil/data/poisson_sampler.h"

using namespace veil;
using veil::testing::check_poisson_inclusion;

TEST_CASE("secure Poisson batches include each example independently at rate q", "[poisson_sampler][secure]") {
  const int64_t n = 1000;
  const double q = 0.02;
  const int steps = 2000;
  const PoissonSampler sampler = PoissonSampler::make_secure(n, q);
  REQUIRE(sampler.is_secure());
  REQUIRE(!PoissonSampler(n, q, 1).is_secure());
  check_poisson_inclusion(sampler, n, q, steps);
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
