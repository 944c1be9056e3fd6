#pragma once
// LayerNorm over the trailing dimensions `normalized_shape` (shape N).
//
// Shapes: x [B, ..., *normalized_shape]; gamma (weight) and beta (bias)
// shaped normalized_shape, initialised to ones and zeros; y like x. Each
// position (a slice over the trailing dimensions) is normalised on its own
// with the biased variance (layers/normalization.h):
//   y = (x - mean) / sqrt(var + eps) * gamma + beta.
//
// Per-sample rule, g the output gradient and x_hat the normalised input:
//   dgamma_i = sum over example i's positions of g * x_hat,
//   dbeta_i  = sum over example i's positions of g,
// kept materialised ([B, ...normalized_shape]; see
// layers/materialized_per_sample.h).
#include "veil/layers/materialized_per_sample.h"
#include "veil/layers/module.h"

namespace veil {

class LayerNorm : public Module, public MaterializedPerSampleLayer {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }  // undefined without affine
  const Tensor& bias() const { return bias_; }

  std::vector<Tensor> per_sample_parameters() const override;

 private:
  Shape normalized_shape_;
  double eps_;
  Tensor weight_, bias_;
};

}  // namespace veil
