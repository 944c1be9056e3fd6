#pragma once
// GroupNorm: channels split into num_groups groups, each (example, group)
// normalised over its channels and spatial positions.
//
// Shapes: x [B, C, *] (any spatial dimensions, none included); gamma
// (weight) and beta (bias) [C], initialised to ones and zeros; y like x.
// With G = num_groups (C divisible by G) and S the spatial size, each of the
// B*G groups of (C/G)*S values is normalised with its biased variance
// (layers/normalization.h), then y[b, c, s] = x_hat[b, c, s] * gamma[c] + beta[c].
// No statistic crosses examples, so per-sample gradients are well defined
// (unlike BatchNorm).
//
// Per-sample rule, g the output gradient:
//   dgamma_i[c] = sum_s g[i, c, s] * x_hat[i, c, s],  dbeta_i[c] = sum_s g[i, c, s],
// kept materialised ([B, C]; see layers/materialized_per_sample.h).
#include "veil/layers/materialized_per_sample.h"
#include "veil/layers/module.h"

namespace veil {

class GroupNorm : public Module, public MaterializedPerSampleLayer {
 public:
  GroupNorm(std::int64_t num_groups, std::int64_t num_channels, double eps = 1e-5, bool affine = true);

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }  // undefined without affine
  const Tensor& bias() const { return bias_; }

  std::vector<Tensor> per_sample_parameters() const override;

 private:
  std::int64_t num_groups_, num_channels_;
  double eps_;
  Tensor weight_, bias_;
};

}  // namespace veil
