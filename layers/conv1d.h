#pragma once
// Conv1d over sequences, with stride, padding, dilation, groups and optional
// bias.
//
// Shapes: x [B, C_in, T]; W [C_out, C_in/G, k]; b [C_out]; y [B, C_out,
// T_out], T_out = (T + 2 padding - dilation (k - 1) - 1) / stride + 1.
// Computed as a Conv2d with a 1 x k kernel on [B, C_in, 1, T], so its
// per-sample rule is Conv2d's (Note [Rows times output gradients], T_out
// positions). Initialisation as PyTorch: uniform in +-1/sqrt(C_in/G*k).
#include "veil/layers/conv2d.h"

namespace veil {

class Conv1d : public Conv2d {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
         std::int64_t stride = 1, std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1,
         bool bias = true);
  Tensor forward(const Tensor& input) override;
};

}  // namespace veil
