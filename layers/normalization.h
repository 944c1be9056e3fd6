#pragma once
// The normalise-then-affine step shared by LayerNorm and GroupNorm, over the
// normalisation kernels (core/normalization_kernels.h, which also gives the
// row and affine formulas and the layouts).
#include <cstdint>

#include "veil/core/normalization_kernels.h"

namespace veil::normalization {

// y = x_hat * gamma + beta over rows of x (just x_hat when gamma is
// undefined); the statistics go to *stats for the backward.
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
