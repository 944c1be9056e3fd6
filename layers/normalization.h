#pragma once
// Math shared by the normalisation layers (LayerNorm, GroupNorm,
// BatchNorm2d). Contiguous CPU tensors, float32 or float64; statistics are
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

namespace veil::normalization {

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

struct AffineLayout {
  std::int64_t batch = 0, outer = 1, features = 1, inner = 1;
};

// x * gamma[k] (+ beta[k] when beta is defined), a new tensor shaped like x.
Tensor apply_affine(const Tensor& x, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout);

// Per-example affine gradients, each [B, K]:
//   dgamma[b, k] = sum_{o, i} g * x_hat,   dbeta[b, k] = sum_{o, i} g.
struct AffineGradSamples {
  Tensor gamma, beta;
};
AffineGradSamples affine_grad_samples(const Tensor& g, const Tensor& x_hat, const AffineLayout& layout);

// The two composed, as LayerNorm and GroupNorm use them: y = x_hat * gamma
// + beta over rows of x (just x_hat when gamma is undefined).
Tensor normalize_affine(const Tensor& x, std::int64_t rows, double eps, const Tensor& gamma, const Tensor& beta,
                        const AffineLayout& layout, RowStats* stats);
// Its backward from the output gradient g: dx (undefined unless need_dx)
// and, when gamma is defined, the per-example affine gradients.
struct NormalizeAffineGrads {
  Tensor dx;
  AffineGradSamples affine;
};
NormalizeAffineGrads normalize_affine_backward(const Tensor& g, const RowStats& stats, std::int64_t rows,
                                               const Tensor& gamma, const AffineLayout& layout, bool need_dx);

}  // namespace veil::normalization
