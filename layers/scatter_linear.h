#pragma once
// ScatterLinear: the linear model on scattering features of Tramer & Boneh,
// "Differentially Private Learning Needs Better Features" (ICLR 2021):
//   GroupNorm (groups, no affine parameters) over the C channels    [B, C, H, W]
//   flatten, fc C*H*W -> classes                                     [B, classes] logits
// Input: the features of data/scattering2d.h, [B, C, H, W] (81 x 7 x 7 for
// 28 x 28 images with J = 2, L = 8), computed once per data set. The
// normalisation is per example (no statistic crosses examples, so no
// privacy cost) and has no parameters; the only trainable layer is fc, whose
// per-sample rule is Linear's. groups 0: no normalisation.
#include <memory>

#include "veil/layers/group_norm.h"
#include "veil/layers/linear.h"

namespace veil {

struct ScatterLinearOptions {
  std::int64_t channels = 81, height = 7, width = 7;
  std::int64_t groups = 27;  // GroupNorm groups; must divide channels; 0: none
  std::int64_t classes = 10;
};

class ScatterLinear : public Module {
 public:
  ScatterLinear(const ScatterLinearOptions& options, std::uint64_t seed);
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

 private:
  ScatterLinearOptions options_;
  std::shared_ptr<GroupNorm> norm_;  // null without groups
  std::shared_ptr<Linear> fc_;
};

}  // namespace veil
