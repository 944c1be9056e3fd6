#pragma once
// RowsTimesGradsLayer: the per-sample rule shared by Linear, Conv1d and
// Conv2d, whose weight gradient is "rows times output gradients".
//
// Note [Rows times output gradients]
// Backward hands over, for the B examples, rows X [B, T, G*K] and output
// gradients Y [B, T, G*O] (G groups, each a block of columns):
//  - Linear: X the input, T the sequence positions (T = 1 for a 2-D input);
//  - convolutions: X the patches of the L output positions (T = L, the row
//    layout of Note [Conv2d row layout]), Y the output gradient as [B, L, C].
// Y is scaled to each example's own loss (Note [Per-sample gradient
// routes]). The weight is [G*O, K] as a matrix (the layer's own shape, e.g.
// [C_out, C_in/G, kh, kw], flattened), the bias [G*O]:
//   dW_i[g] = Y_i[g]^T X_i[g]   (an [O, K] block per group),
//   db_i    = sum over t of Y_i[t].
// The three routes:
//  - materialise: one GEMM per example and group, [B, ...weight shape];
//  - ghost norms: ||dW_i||^2 = sum_g <X_i[g] X_i[g]^T, Y_i[g] Y_i[g]^T>,
//    T x T Gram matrices in a workspace the layer keeps (grown to the
//    largest T seen, never freed between steps);
//  - clipped sum: sum_i c_i dW_i as the layer's ordinary weight-gradient
//    GEMM over all B*T rows (summed_weight_grad), Y's rows scaled by c_i and
//    the rows of dropped examples (c_i = 0) of X zeroed, so that a
//    non-finite example cannot leak NaN through 0 * NaN. With every c_i = 1
//    it reproduces the ordinary gradient bit for bit.
// Auto takes the route with fewer multiply-adds for the whole DP work
// (choose_route): the ghost route when T^2 (K + O) < 2 K O, which holds for
// 2-D Linear layers and not for the convolutions of small images. A
// layer called twice in one forward appends the second call's T positions
// to the first's, example by example (Note [Shared parameters and repeated
// layers]).
#include <memory>
#include <vector>

#include "veil/layers/recorded_per_sample.h"

namespace veil {

class RowsTimesGradsLayer : public RecordedPerSample {
 public:
  // The weight [G*O, ...] and the bias [G*O] (undefined without bias).
  virtual const Tensor& weight() const = 0;
  virtual const Tensor& bias() const = 0;

  std::vector<Tensor> per_sample_parameters() const override;
  std::vector<Tensor> per_sample_sq_norms() override;
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override;
  std::vector<Tensor> grad_samples() override;

 protected:
  // Called from backward with per-sample mode on, in place of the summed
  // parameter gradients: rows [B, T, G*K] and output gradients [B, T, G*O]
  // as backward received them (contiguous).
  void record_rows_times_grads(const Tensor& rows, const Tensor& grads, std::int64_t groups,
                               const PerSampleConfig& config);
  // The weight gradient summed over N rows, [G*O, K], from output gradients
  // [N, G*O] and rows [N, G*K], as the layer's ordinary backward computes it.
  virtual Tensor summed_weight_grad(const Tensor& grads, const Tensor& rows) const = 0;
  // Each example's bias gradient [B, G*O] from output gradients [B, T, G*O],
  // and the bias gradient [G*O] of all of them, each summed in the order the
  // layer has always used: convolutions (these defaults) over positions in
  // float, then over the batch; Linear over positions (and rows) in one
  // double-accumulating reduction.
  virtual Tensor per_sample_bias_grads(const Tensor& grads) const;
  virtual Tensor summed_bias_grad(const Tensor& grads) const;

 private:
  struct Record;
  Record& rows_record();

  Tensor gram_workspace_;  // reused by every ghost-norm computation
};

}  // namespace veil
