#pragma once
// BatchNorm2d, for non-private training only.
//
// Shapes: x [B, C, H, W]; gamma (weight) and beta (bias) [C], initialised to
// ones and zeros; buffers running_mean [C] (zeros) and running_var [C]
// (ones); y like x.
//   training: y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c, with
//             mean_c, var_c (biased) over the B*H*W values of channel c; the
//             running statistics move towards them by `momentum`
//             (running_var with the unbiased variance), as in PyTorch;
//   eval:     the same with running_mean and running_var.
//
// The training statistics mix the examples of a batch, so one example's
// gradient depends on every other example: per-sample gradients, and hence
// DP-SGD's privacy analysis, do not exist for it. BatchNorm2d therefore does
// not implement PerSampleLayer, and validate_for_dp (privacy/validator.h)
// refuses it; use GroupNorm.
#include "veil/layers/module.h"

namespace veil {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true);

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }  // undefined without affine
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }

 private:
  std::int64_t num_features_;
  double eps_, momentum_;
  Tensor weight_, bias_;
  Tensor running_mean_, running_var_;
};

}  // namespace veil
