#pragma once
// Conv2d and Conv1d (NCHW / NCT), with stride, padding, dilation, groups and
// optional bias.
//
// Shapes: x [B, C_in, H, W]; W [C_out, C_in/G, kh, kw]; b [C_out];
// y [B, C_out, H_out, W_out]. Computed as im2col + GEMM per sample:
// U_i = im2col(x_i) [C_in*kh*kw, L], L = H_out*W_out, and per group g
// y_i[g] = W[g] U_i[g] (+ b). Initialisation as PyTorch: uniform in
// +-1/sqrt(fan_in), fan_in = C_in/G*kh*kw.
//
// Per-sample rule (Note [Per-sample gradient routes]), g_i [C_out, L]:
//   dW_i[g] = g_i[g] U_i[g]^T,  db_i = sum over L of g_i.
// Ghost norm: ||dW_i||^2 = sum_g <U_i[g]^T U_i[g], g_i[g]^T g_i[g]> (L x L
// Gram matrices), cheaper when L^2 < C_in*kh*kw*C_out/G. Auto picks per layer.
#include <memory>

#include "veil/autograd/ops.h"
#include "veil/layers/module.h"
#include "veil/layers/recorded_per_sample.h"

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

class Conv2d : public Module, public RecordedPerSample {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options, std::uint64_t seed);
  // Square kernel shorthand: Conv2d(1, 16, 8, seed, /*stride=*/2, /*padding=*/3).
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
         std::int64_t stride = 1, std::int64_t padding = 0);

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Conv2dOptions& options() const { return options_; }

  std::vector<Tensor> per_sample_parameters() const override;
  std::vector<Tensor> per_sample_sq_norms() override;
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override;
  std::vector<Tensor> grad_samples() override;

  struct Record;

 protected:
  // For Conv1d: the weight's user-facing shape differs, the math does not.
  Conv2d(std::string type_name, std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options,
         std::uint64_t seed, const Shape& weight_shape);

 private:
  Conv2dGeometry geometry() const;

  std::int64_t in_channels_, out_channels_;
  Conv2dOptions options_;
  Tensor weight_;
  Tensor bias_;  // undefined without bias
};

// Conv1d over [B, C_in, T]: a Conv2d with a 1 x k kernel on [B, C_in, 1, T].
// Weight [C_out, C_in/G, k].
class Conv1d : public Conv2d {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
         std::int64_t stride = 1, std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1,
         bool bias = true);
  Tensor forward(const Tensor& input) override;
};

}  // namespace veil
