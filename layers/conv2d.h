#pragma once
// Conv2d (NCHW), with stride, padding, dilation, groups and optional bias.
//
// Shapes: x [B, C_in, H, W]; W [C_out, C_in/G, kh, kw]; b [C_out];
// y [B, C_out, H_out, W_out]. Computed in the row layout (Note [Conv2d row
// layout]): U_i = im2row(x_i) [L, C_in*kh*kw], L = H_out*W_out, and per
// group g y_i[g] = W[g] U_i[g]^T (+ b). Initialisation as PyTorch: uniform
// in +-1/sqrt(fan_in), fan_in = C_in/G*kh*kw.
//
// Per-sample rule: Note [Rows times output gradients] with rows U_i (T = L)
// and output gradients g_i as [L, C_out]: dW_i[g] = g_i[g]^T U_i[g],
// db_i = sum over L of g_i; the ghost route (L x L Gram matrices) is
// cheaper when L^2 (C_in/G*kh*kw + C_out/G) < L C_in/G*kh*kw C_out/G.
#include <memory>

#include "veil/core/conv_geometry.h"
#include "veil/layers/module.h"
#include "veil/layers/rows_times_grads.h"

namespace veil {

struct Conv2dOptions {
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t padding_h = 0, padding_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t groups = 1;
  bool bias = true;

  // Square kernel, equal strides/padding/dilation in both dimensions.
  static Conv2dOptions square(std::int64_t kernel, std::int64_t stride = 1, std::int64_t padding = 0,
                              std::int64_t dilation = 1, std::int64_t groups = 1, bool bias = true);
};

class Conv2d : public Module, public RowsTimesGradsLayer {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options, std::uint64_t seed);
  // Square kernel shorthand: Conv2d(1, 16, 8, seed, /*stride=*/2, /*padding=*/3).
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
         std::int64_t stride = 1, std::int64_t padding = 0);

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const override { return weight_; }
  const Tensor& bias() const override { return bias_; }
  const Conv2dOptions& options() const { return options_; }

 protected:
  // For Conv1d: the weight's user-facing shape differs, the math does not.
  Conv2d(std::string type_name, std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options,
         std::uint64_t seed, const Shape& weight_shape);
  Tensor summed_weight_grad(const Tensor& grads, const Tensor& rows) const override;

 private:
  Conv2dGeometry geometry() const;

  std::int64_t in_channels_, out_channels_;
  Conv2dOptions options_;
  Tensor weight_;
  Tensor bias_;  // undefined without bias
};

}  // namespace veil
