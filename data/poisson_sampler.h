#pragma once
// Poisson sampling for DP-SGD (DESIGN.md, step 1): at every step each example
// is in the batch independently with probability q, the sample rate the
// accountant assumes. Batch sizes vary and a batch may be empty.
//
// Batches are a function of (seed, step) alone: Philox stream
// philox_stream(kPoissonSamplingPurpose, step) under key `seed`, read from its
// start. A resumed run gets the same batches without saving any sampler state.
//
// Secure mode (make_secure, docs/secure_noise.md): the same walk over a
// ChaCha20 keystream, nonce (step, tag), under a 256-bit key from the OS that
// lives only in the sampler. Batches are still a function of (key, step), so
// prefetching and re-reading a step agree, but nothing stored or printed can
// recompute them, and a new sampler (a resumed run) draws a new key.
//
// Distributed: rank r of W keeps the indices i with i % W == r of that same
// global sample. Every rank walks the global sample (O(qN) work, like one
// process) and the union of the shards at a step is exactly what a single
// process with the same seed draws, so each example is still in the global
// batch independently with probability q, and changing the world size does
// not change the batches.
#include <cstdint>
#include <optional>
#include <vector>

#include "veil/core/chacha20.h"
#include "veil/core/philox.h"

namespace veil {

// The Poisson batches' streams; the id is the step.
inline constexpr PhiloxPurpose kPoissonSamplingPurpose{2};

class PoissonSampler {
 public:
  // dataset_size N >= 0, sample_rate q in (0, 1].
  PoissonSampler(int64_t dataset_size, double sample_rate, uint64_t seed);
  // The shard of `rank` in [0, world_size).
  PoissonSampler(int64_t dataset_size, double sample_rate, uint64_t seed, int rank, int world_size);
  // Secure mode: keyed from the OS. Each rank draws its own key; every
  // example is still included independently with probability q, since
  // exactly one rank's stream decides it.
  static PoissonSampler make_secure(int64_t dataset_size, double sample_rate, int rank = 0, int world_size = 1);

  // Sorted indices in [0, N) of this rank's part of the batch of `step`.
  // Cost O(qN): gaps between included indices are drawn directly as
  // geometric variables, floor(log(U) / log(1 - q)) with U in (0, 1].
  std::vector<int64_t> sample(uint64_t step) const;

  // q N, the global expected batch size DP-SGD divides the noisy sum by.
  double expected_batch_size() const { return sample_rate_ * static_cast<double>(dataset_size_); }
  // round(1 / q): the steps that visit N examples in expectation.
  int64_t steps_per_epoch() const;

  int64_t dataset_size() const { return dataset_size_; }
  double sample_rate() const { return sample_rate_; }
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_secure() const { return secure_key_.has_value(); }

 private:
  // The walk over uniforms in [0, 1) from either generator.
  template <typename Uniform>
  std::vector<int64_t> walk(Uniform& rng) const;

  int64_t dataset_size_;
  double sample_rate_;
  double log_keep_;  // log(1 - q)
  uint64_t seed_;
  int rank_;
  int world_size_;
  std::optional<ChaChaKey> secure_key_;
};

}  // namespace veil
