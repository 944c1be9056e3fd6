#include "veil/privacy/poisson_sampler.h"

#include <algorithm>
#include <cmath>

#include "veil/core/error.h"
#include "veil/core/philox.h"

namespace veil {

PoissonSampler::PoissonSampler(int64_t dataset_size, double sample_rate, uint64_t seed)
    : PoissonSampler(dataset_size, sample_rate, seed, 0, 1) {}

PoissonSampler::PoissonSampler(int64_t dataset_size, double sample_rate, uint64_t seed, int rank, int world_size)
    : dataset_size_(dataset_size),
      sample_rate_(sample_rate),
      log_keep_(std::log1p(-sample_rate)),
      seed_(seed),
      rank_(rank),
      world_size_(world_size) {
  VEIL_CHECK(dataset_size >= 0) << "dataset size " << dataset_size;
  VEIL_CHECK(sample_rate > 0 && sample_rate <= 1) << "sample rate " << sample_rate << " outside (0, 1]";
  VEIL_CHECK(world_size >= 1 && rank >= 0 && rank < world_size) << "rank " << rank << " of " << world_size;
}

std::vector<int64_t> PoissonSampler::sample(uint64_t step) const {
  Philox rng(seed_, philox_stream(PhiloxPurpose::kPoissonSampling, step));
  std::vector<int64_t> batch;
  batch.reserve(static_cast<size_t>(expected_batch_size() / world_size_ * 1.2) + 16);
  int64_t last = -1;  // the previously included index
  while (true) {
    // P[gap >= k] = P[U <= (1-q)^k] = (1-q)^k: the number of excluded
    // examples before the next included one. q = 1 gives -0 / inf = 0.
    const double u = 1.0 - rng.uniform();  // (0, 1]
    const double gap = std::floor(std::log(u) / log_keep_);
    // Compare in double: a gap can exceed what int64 holds when q is tiny.
    if (gap >= static_cast<double>(dataset_size_ - 1 - last)) break;
    last += static_cast<int64_t>(gap) + 1;
    if (last % world_size_ == rank_) batch.push_back(last);
  }
  return batch;
}

int64_t PoissonSampler::steps_per_epoch() const { return std::max<int64_t>(1, std::llround(1.0 / sample_rate_)); }

}  // namespace veil
