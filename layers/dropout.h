#pragma once
// Dropout: in training, zeroes each element with probability p and scales
// the survivors by 1 / (1 - p), so the expectation is unchanged; in eval()
// it is the identity. Any shape; parameter free.
//
//   y = x * m / (1 - p),  m_j ~ Bernoulli(1 - p) independently;  dy/dx = m / (1 - p).
//
// Masks come from Philox (Note [Philox streams]) keyed by `seed`, in the
// streams of kDropoutPurpose (never those that initialise weights
// with the same seed), with the stream id a counter that advances on every
// training forward: successive calls draw different masks, and two Dropouts
// built with the same seed draw the same sequence. The mask depends only on
// (seed, call, element index), not on the input's dtype or the thread count.
// The counter is the buffer "calls", so a checkpoint's state dict resumes
// the mask sequence where it stopped.
#include <cstdint>

#include "veil/core/philox.h"
#include "veil/layers/module.h"

namespace veil {

// Dropout masks' streams; the id is the training-forward counter.
inline constexpr PhiloxPurpose kDropoutPurpose{4};

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0);
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  double p() const { return p_; }
  // Training forwards run so far (the next mask's stream id). A host read
  // (Note [Host reads]); forward itself never reads it.
  std::uint64_t calls() const;

 private:
  double p_;
  std::uint64_t seed_;
  Tensor calls_;  // int64 [1]
};

}  // namespace veil
