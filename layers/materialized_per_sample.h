#pragma once
// MaterializedPerSampleLayer: the PerSampleLayer side of layers whose
// per-sample gradients are as small as their parameters (the affine
// parameters of LayerNorm and GroupNorm: [B, C] per parameter). Forming
// them is already the cheapest route, so Materialize, Ghost and Auto
// requests all take it (Note [Per-sample gradient routes]).
//
// The layer's backward computes, for each parameter, the gradients
// [B, ...param shape] of the batch loss split by example and hands them to
// finish_parameter_grads, which either records them (per-sample mode on) or
// returns their sums over the batch as the ordinary parameter gradients.
// A layer without parameters records an empty list, so that it reports
// has_per_sample() like every other layer after backward.
#include <string>
#include <vector>

#include "veil/layers/per_sample.h"

namespace veil {

class MaterializedPerSampleLayer : public PerSampleLayer {
 public:
  bool has_per_sample() const override { return recorded_; }
  std::int64_t per_sample_batch_size() const override { return recorded_ ? batch_ : 0; }
  std::vector<Tensor> per_sample_sq_norms() override;
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override;
  std::vector<Tensor> grad_samples() override;
  GradSampleMode route_taken() const override { return recorded_ ? GradSampleMode::Materialize : GradSampleMode::Off; }
  void clear_per_sample() override;

 protected:
  // `samples[p]` is [B, ...shape of parameter p], computed from the output
  // gradient as backward received it. Per-sample mode on: records them
  // rescaled to per-example losses (config.loss_reduction) and returns
  // undefined tensors. Off: returns their sums over B.
  std::vector<Tensor> finish_parameter_grads(std::vector<Tensor> samples, const PerSampleConfig& config,
                                             std::int64_t batch);

 private:
  void require_record() const;

  bool recorded_ = false;
  std::int64_t batch_ = 0;
  std::uint64_t backward_pass_ = 0;
  std::vector<Tensor> samples_;
};

}  // namespace veil
