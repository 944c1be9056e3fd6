#pragma once
// TanhCnn: the end-to-end CNN of Tramer & Boneh, "Differentially Private
// Learning Needs Better Features" (ICLR 2021), for 28x28 grey images, with a
// width factor and optional GroupNorm after each convolution. With width 1
// and no GroupNorm it is SampleConvNet with tanh in place of ReLU.
//   conv1 1->16w k8 s2 p3, [GroupNorm], tanh, max-pool 2 stride 1   [B, 16w, 13, 13]
//   conv2 16w->32w k4 s2,  [GroupNorm], tanh, max-pool 2 stride 1   [B, 32w, 4, 4]
//   flatten 512w, fc1 512w->32, tanh, fc2 32->10                    [B, 10] logits
// Input [B, 1, 28, 28]. Tanh keeps activations bounded, which keeps clipped
// per-sample gradients informative (Papernot et al., tempered sigmoids);
// GroupNorm normalises per example, so per-sample gradients stay defined.
#include <memory>

#include "veil/layers/conv2d.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/linear.h"

namespace veil {

struct TanhCnnOptions {
  std::int64_t width = 1;   // channel multiplier of both convolutions
  std::int64_t groups = 0;  // GroupNorm groups after each convolution; 0: none
};

class TanhCnn : public Module {
 public:
  TanhCnn(const TanhCnnOptions& options, std::uint64_t seed);
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

 private:
  TanhCnnOptions options_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<GroupNorm> norm1_, norm2_;  // null without GroupNorm
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace veil
