#include "veil/data/shuffle_sampler.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "veil/core/error.h"
#include "veil/core/philox.h"

namespace veil {

ShuffleSampler::ShuffleSampler(int64_t dataset_size, int64_t batch_size, uint64_t seed)
    : dataset_size_(dataset_size), batch_size_(batch_size), seed_(seed) {
  VEIL_CHECK(dataset_size >= 1) << "dataset size " << dataset_size;
  VEIL_CHECK(batch_size >= 1) << "batch size " << batch_size;
}

std::vector<int64_t> ShuffleSampler::permutation(uint64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_size_));
  std::iota(order.begin(), order.end(), int64_t{0});
  Philox rng(seed_, philox_stream(kShufflePurpose, epoch));
  for (int64_t i = dataset_size_ - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

std::vector<int64_t> ShuffleSampler::sample(uint64_t step) {
  const auto steps = static_cast<uint64_t>(steps_per_epoch());
  const uint64_t epoch = step / steps;
  if (cached_epoch_ != epoch) {
    order_ = permutation(epoch);
    cached_epoch_ = epoch;
  }
  const int64_t first = static_cast<int64_t>(step % steps) * batch_size_;
  const int64_t last = std::min(dataset_size_, first + batch_size_);
  return std::vector<int64_t>(order_.begin() + first, order_.begin() + last);
}

}  // namespace veil
