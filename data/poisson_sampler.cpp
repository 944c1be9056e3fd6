#include "veil/data/poisson_sampler.h"

#include <string.h>  // explicit_bzero

#include <algorithm>
#include <cmath>

#include "veil/core/error.h"
#include "veil/core/philox.h"
#include "veil/core/secure_rng.h"

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

namespace {

// Uniforms in [0, 1) from the ChaCha20 keystream of one step: nonce
// (step low, step high, tag), blocks counted from 0.
class ChaChaUniform {
 public:
  ChaChaUniform(const ChaChaKey& key, uint64_t step)
      : key_(key), nonce_{static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32), kTag} {}
  ~ChaChaUniform() { explicit_bzero(buffer_.data(), sizeof(buffer_)); }
  double uniform() {
    if (used_ == 16) {
      buffer_ = chacha20_block(key_, next_block_++, nonce_);
      used_ = 0;
    }
    const uint32_t hi = buffer_[used_], lo = buffer_[used_ + 1];
    used_ += 2;
    return uniform_double_co(hi, lo);
  }

 private:
  static constexpr uint32_t kTag = 0x504f4953;  // "POIS": no other keystream of this key uses it
  const ChaChaKey& key_;
  ChaChaNonce nonce_;
  uint32_t next_block_ = 0;
  ChaChaBlock buffer_{};
  int used_ = 16;
};

}  // namespace

PoissonSampler PoissonSampler::make_secure(int64_t dataset_size, double sample_rate, int rank, int world_size) {
  PoissonSampler sampler(dataset_size, sample_rate, 0, rank, world_size);
  std::array<uint8_t, 32> bytes;
  os_random_bytes(bytes.data(), bytes.size());
  sampler.secure_key_ = chacha20_key_from_bytes(bytes);
  explicit_bzero(bytes.data(), bytes.size());
  return sampler;
}

std::vector<int64_t> PoissonSampler::sample(uint64_t step) const {
  if (secure_key_) {
    ChaChaUniform rng(*secure_key_, step);
    return walk(rng);
  }
  Philox rng(seed_, philox_stream(kPoissonSamplingPurpose, step));
  return walk(rng);
}

template <typename Uniform>
std::vector<int64_t> PoissonSampler::walk(Uniform& rng) const {
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
