#include "veil/layers/normalization.h"

#include "veil/autograd/ops.h"

namespace veil::normalization {

Tensor normalize_affine(const Tensor& x, std::int64_t rows, double eps, const Tensor& gamma, const Tensor& beta,
                        const AffineLayout& layout, RowStats* stats) {
  *stats = normalize_rows(x, rows, eps);
  // A copy without affine, so that the output never aliases what backward keeps.
  return gamma.defined() ? apply_affine(stats->x_hat, gamma, beta, layout) : stats->x_hat.clone();
}

NormalizeAffineGrads normalize_affine_backward(const Tensor& g_in, const RowStats& stats, std::int64_t rows,
                                               const Tensor& gamma, const AffineLayout& layout, bool need_dx) {
  const Tensor g = g_in.contiguous();
  NormalizeAffineGrads out;
  if (need_dx) {
    const Tensor gx_hat = gamma.defined() ? apply_affine(g, gamma, Tensor(), layout) : g;
    out.dx = normalize_rows_backward(gx_hat, stats, rows);
  }
  if (gamma.defined()) out.affine = affine_grad_samples(g, stats.x_hat, layout);
  return out;
}

}  // namespace veil::normalization
