#pragma once
// Normalisation statistics and their backward, the per-feature affine map
// and its per-example gradients, and BatchNorm's running statistics,
// dispatched on the tensors' device (Note [Kernel tables]). The
// normalisation layers (layers/layer_norm.h, group_norm.h, batch_norm.h)
// compose them; no autograd here. Float32 or float64; statistics are
// accumulated in double.
//
// Rows: each row of a contiguous tensor viewed as [R, N] is normalised on
// its own, with the biased variance:
//   x_hat = (x - mean) * rstd,   rstd = 1 / sqrt(var + eps).
// Given gx_hat = dL/dx_hat, the input gradient of one row is
//   dx = rstd * (gx_hat - mean(gx_hat) - x_hat * mean(gx_hat * x_hat)).
//
// Affine: a tensor viewed as [B, outer, K, inner] is scaled and shifted
// along K by gamma and beta (K elements each, any shape):
//   y[b, o, k, i] = x[b, o, k, i] * gamma[k] + beta[k].
// LayerNorm uses outer = positions per sample, K = normalized size,
// inner = 1; GroupNorm and BatchNorm2d use outer = 1, K = C, inner = H*W.
#include <cstdint>

#include "veil/core/tensor.h"

namespace veil {

namespace normalization {
struct AffineLayout {
  std::int64_t batch = 0, outer = 1, features = 1, inner = 1;
};
}  // namespace normalization

struct NormalizationKernels {
  // Rows of contiguous x (R = mean.numel() rows): x_hat like x; mean, var,
  // rstd float64 [R].
  void (*normalize_rows)(const Tensor& x, double eps, const Tensor& x_hat, const Tensor& mean, const Tensor& var,
                         const Tensor& rstd) = nullptr;
  // dx (like gx_hat, contiguous) from gx_hat, the forward's x_hat and rstd.
  void (*normalize_rows_backward)(const Tensor& gx_hat, const Tensor& x_hat, const Tensor& rstd,
                                  const Tensor& dx) = nullptr;
  // y = x * gamma[k] (+ beta[k] when beta is defined); all contiguous.
  void (*affine)(const Tensor& x, const Tensor& gamma, const Tensor& beta, const normalization::AffineLayout& layout,
                 const Tensor& y) = nullptr;
  // dgamma[b, k] = sum_{o, i} g * x_hat,  dbeta[b, k] = sum_{o, i} g, each
  // [B, K]; g and x_hat contiguous.
  void (*affine_grad_samples)(const Tensor& g, const Tensor& x_hat, const normalization::AffineLayout& layout,
                              const Tensor& dgamma, const Tensor& dbeta) = nullptr;
  // BatchNorm's running statistics ([C], the module's dtype) move towards
  // the batch's (float64 [C], var biased) by momentum, the variance
  // unbiased by `unbias` = count / (count - 1).
  void (*update_running_stats)(const Tensor& mean, const Tensor& var, double momentum, double unbias,
                               const Tensor& running_mean, const Tensor& running_var) = nullptr;
  // Fixed statistics as a per-channel affine map: scale = 1 / sqrt(var +
  // eps), shift = -mean * scale, each [C] in the statistics' dtype.
  void (*running_stats_affine)(const Tensor& running_mean, const Tensor& running_var, double eps,
                               const Tensor& scale, const Tensor& shift) = nullptr;
};

// The kernels for a device; throws by name for a device without them.
const NormalizationKernels& normalization_kernels(Device device);

namespace normalization {

struct RowStats {
  Tensor x_hat;  // like x
  Tensor mean;   // float64 [R]
  Tensor var;    // float64 [R], biased
  Tensor rstd;   // float64 [R]
};

// Normalises the R rows of contiguous x (numel = R * N).
RowStats normalize_rows(const Tensor& x, std::int64_t rows, double eps);
// dx (shaped like gx_hat) from gx_hat and the forward's statistics.
Tensor normalize_rows_backward(const Tensor& gx_hat, const RowStats& stats, std::int64_t rows);

// x * gamma[k] (+ beta[k] when beta is defined), a new tensor shaped like x.
// gamma and beta must be on x's device (an error names both otherwise).
Tensor apply_affine(const Tensor& x, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout);

// Per-example affine gradients, each [B, K] (see the table above).
struct AffineGradSamples {
  Tensor gamma, beta;
};
AffineGradSamples affine_grad_samples(const Tensor& g, const Tensor& x_hat, const AffineLayout& layout);

// BatchNorm2d's statistics: the running update after a training batch of
// `count` values per channel (in place; the running statistics on the batch
// statistics' device), and the eval-mode affine map.
void update_running_stats(const RowStats& batch_stats, std::int64_t count, double momentum, const Tensor& running_mean,
                          const Tensor& running_var);
struct ChannelAffine {
  Tensor scale, shift;
};
ChannelAffine running_stats_affine(const Tensor& running_mean, const Tensor& running_var, double eps);

}  // namespace normalization
}  // namespace veil
