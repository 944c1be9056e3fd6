#pragma once
// NOT a private sampler. Fixed-size batches cut from a fresh shuffle of the
// dataset each epoch, for non-private training and evaluation. Its batches
// are not Poisson samples, so the privacy accountant's subsampled-Gaussian
// analysis does not apply to them; DP-SGD uses PoissonSampler.
//
// The order of epoch e is a Fisher-Yates shuffle driven by Philox stream
// philox_stream(kShufflePurpose, e) under key `seed`, so it is reproducible.
#include <cstdint>
#include <optional>
#include <vector>

#include "veil/core/philox.h"

namespace veil {

// The shuffles' streams; the id is the epoch.
inline constexpr PhiloxPurpose kShufflePurpose{3};

class ShuffleSampler {
 public:
  // dataset_size N >= 1, batch_size B >= 1.
  ShuffleSampler(int64_t dataset_size, int64_t batch_size, uint64_t seed);

  // ceil(N / B); the last batch of an epoch holds the N mod B left over.
  int64_t steps_per_epoch() const { return (dataset_size_ + batch_size_ - 1) / batch_size_; }
  // The indices of global step `step`: batch step % steps_per_epoch() of epoch
  // step / steps_per_epoch(). Keeps the current epoch's order cached.
  std::vector<int64_t> sample(uint64_t step);
  // The whole order of `epoch`, a permutation of [0, N).
  std::vector<int64_t> permutation(uint64_t epoch) const;

 private:
  int64_t dataset_size_;
  int64_t batch_size_;
  uint64_t seed_;
  std::optional<uint64_t> cached_epoch_;
  std::vector<int64_t> order_;
};

}  // namespace veil
