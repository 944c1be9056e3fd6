#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "veil/core/error.h"
#include "veil/data/poisson_sampler.h"
#include "veil/data/shuffle_sampler.h"
#include "support/poisson_check.h"

using namespace veil;
using veil::testing::check_poisson_inclusion;

namespace {

bool sorted_unique_in_range(const std::vector<int64_t>& batch, int64_t n) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] < 0 || batch[i] >= n) return false;
    if (i > 0 && batch[i] <= batch[i - 1]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Poisson batches have size qN on average and variance Nq(1-q)", "[poisson_sampler]") {
  const int64_t n = 1000;
  const double q = 0.01;
  const int steps = 2000;
  PoissonSampler sampler(n, q, 42);
  CHECK(sampler.expected_batch_size() == Approx(10.0));
  CHECK(sampler.steps_per_epoch() == 100);

  check_poisson_inclusion(sampler, n, q, steps);
}

TEST_CASE("inclusion at one step says nothing about the next", "[poisson_sampler]") {
  const int64_t n = 1000;
  const double q = 0.05;
  const int steps = 1000;
  PoissonSampler sampler(n, q, 7);
  std::vector<char> previous(n, 0), current(n, 0);
  double both = 0, pairs = 0;
  for (int t = 0; t < steps; ++t) {
    std::fill(current.begin(), current.end(), 0);
    for (int64_t i : sampler.sample(t)) current[i] = 1;
    if (t > 0) {
      for (int64_t i = 0; i < n; ++i) both += previous[i] && current[i];
      pairs += n;
    }
    std::swap(previous, current);
  }
  // Independent inclusions: P[in at t and t+1] = q^2.
  const double p = both / pairs;
  CHECK(std::abs(p - q * q) < 5 * std::sqrt(q * q * (1 - q * q) / pairs));
  const double correlation = (p - q * q) / (q * (1 - q));
  CHECK(std::abs(correlation) < 0.02);
}

TEST_CASE("empty batches come up as often as (1-q)^N says", "[poisson_sampler]") {
  PoissonSampler sampler(10, 0.05, 3);
  const int steps = 4000;
  int empty = 0;
  for (int t = 0; t < steps; ++t) empty += sampler.sample(t).empty();
  const double p = std::pow(0.95, 10);
  CHECK(std::abs(empty / double(steps) - p) < 4 * std::sqrt(p * (1 - p) / steps));
}

TEST_CASE("batches are a function of (seed, step) alone", "[poisson_sampler]") {
  PoissonSampler a(5000, 0.02, 11), b(5000, 0.02, 11), other_seed(5000, 0.02, 12);
  const std::vector<int64_t> first = a.sample(17);
  a.sample(3);  // no hidden state
  CHECK(a.sample(17) == first);
  CHECK(b.sample(17) == first);
  CHECK(a.sample(18) != first);
  CHECK(other_seed.sample(17) != first);
}

TEST_CASE("rank shards partition the single-process batch", "[poisson_sampler]") {
  const int64_t n = 3001;
  const double q = 0.03;
  const int world = 3;
  PoissonSampler global(n, q, 99);
  double shard_total = 0;
  int mismatches = 0, foreign = 0;
  for (int t = 0; t < 300; ++t) {
    std::vector<int64_t> united;
    for (int r = 0; r < world; ++r) {
      PoissonSampler shard(n, q, 99, r, world);
      for (int64_t i : shard.sample(t)) {
        foreign += i % world != r;
        united.push_back(i);
      }
    }
    shard_total += united.size();
    std::sort(united.begin(), united.end());
    mismatches += united != global.sample(t);
  }
  CHECK(foreign == 0);
  CHECK(mismatches == 0);
  // The union is sampled at the global rate.
  CHECK(std::abs(shard_total / 300 - n * q) < 4 * std::sqrt(n * q * (1 - q) / 300));
  PoissonSampler shard(n, q, 99, 1, world);
  CHECK(shard.expected_batch_size() == Approx(n * q));
  CHECK(shard.rank() == 1);
  CHECK(shard.world_size() == world);
}

TEST_CASE("Poisson sampling stays O(qN) for huge datasets and handles q = 1", "[poisson_sampler]") {
  PoissonSampler huge(int64_t{1} << 40, 1e-9, 5);  // ~1100 indices out of 10^12
  double total = 0;
  for (int t = 0; t < 50; ++t) {
    const std::vector<int64_t> batch = huge.sample(t);
    REQUIRE(sorted_unique_in_range(batch, int64_t{1} << 40));
    total += batch.size();
  }
  const double expected = 1e-9 * double(int64_t{1} << 40);
  CHECK(std::abs(total / 50 - expected) < 4 * std::sqrt(expected / 50));

  PoissonSampler all(100, 1.0, 5);
  std::vector<int64_t> every(100);
  std::iota(every.begin(), every.end(), 0);
  CHECK(all.sample(0) == every);
  CHECK(all.steps_per_epoch() == 1);
  CHECK(PoissonSampler(0, 0.5, 1).sample(0).empty());
  CHECK(PoissonSampler(10, 0.4, 1).steps_per_epoch() == 3);
}

TEST_CASE("PoissonSampler rejects bad arguments", "[poisson_sampler]") {
  CHECK_THROWS_AS(PoissonSampler(10, 0.0, 1), Error);
  CHECK_THROWS_AS(PoissonSampler(10, 1.5, 1), Error);
  CHECK_THROWS_AS(PoissonSampler(-1, 0.5, 1), Error);
  CHECK_THROWS_AS(PoissonSampler(10, 0.5, 1, 2, 2), Error);
  CHECK_THROWS_AS(PoissonSampler(10, 0.5, 1, 0, 0), Error);
}

TEST_CASE("ShuffleSampler visits every example once per epoch in fixed-size batches", "[shuffle_sampler]") {
  ShuffleSampler sampler(103, 10, 8);
  CHECK(sampler.steps_per_epoch() == 11);
  for (uint64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> seen;
    for (int64_t b = 0; b < 11; ++b) {
      const std::vector<int64_t> batch = sampler.sample(epoch * 11 + b);
      CHECK(batch.size() == (b < 10 ? 10u : 3u));
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> every(103);
    std::iota(every.begin(), every.end(), 0);
    CHECK(sorted == every);
    CHECK(seen == sampler.permutation(epoch));
  }
  CHECK(sampler.permutation(0) != sampler.permutation(1));
  ShuffleSampler again(103, 10, 8);
  CHECK(again.sample(12) == sampler.sample(12));
  CHECK_THROWS_AS(ShuffleSampler(0, 1, 1), Error);
  CHECK_THROWS_AS(ShuffleSampler(1, 0, 1), Error);
}

TEST_CASE("ShuffleSampler permutations are uniform", "[shuffle_sampler]") {
  // Position of element 0 over many epochs of a 5-element dataset.
  ShuffleSampler sampler(5, 5, 21);
  std::vector<double> counts(5, 0);
  const int epochs = 20000;
  for (int e = 0; e < epochs; ++e) {
    const std::vector<int64_t> order = sampler.permutation(e);
    counts[std::find(order.begin(), order.end(), 0) - order.begin()] += 1;
  }
  double chi2 = 0;
  for (double c : counts) chi2 += (c - epochs / 5.0) * (c - epochs / 5.0) / (epochs / 5.0);
  CHECK(chi2 < 4 + 5 * std::sqrt(8.0));
}
