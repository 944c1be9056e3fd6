#pragma once
// Linear: y = x W^T + b.
//
// Shapes: x [B, D_in] or [B, T, D_in]; W [D_out, D_in]; b [D_out];
// y [B, D_out] or [B, T, D_out]. Initialisation as PyTorch: W and b uniform
// in +-1/sqrt(D_in) (Kaiming-uniform with a = sqrt(5)).
//
// Per-sample rule (Note [Per-sample gradient routes]), g the output gradient:
//   dW_i = g_i^T x_i,  db_i = sum_t g_i[t].
// Ghost norms: T = 1: ||dW_i||^2 = ||g_i||^2 ||x_i||^2; T > 1:
//   ||dW_i||^2 = <x_i x_i^T, g_i g_i^T>. Weighted sum: one GEMM,
//   sum_i c_i dW_i = (diag(c) G)^T X over all B*T rows.
#include <memory>

#include "veil/layers/module.h"
#include "veil/layers/recorded_per_sample.h"

namespace veil {

class Linear : public Module, public RecordedPerSample {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, std::uint64_t seed, bool bias = true);
  // A Linear over existing parameters, shared with the layers that own them
  // (e.g. an output projection tied to an Embedding's weight [V, D]): weight
  // [D_out, D_in], bias [D_out] or undefined. Under DP the per-sample
  // gradients of a shared parameter are summed over all its layers before
  // clipping (Note [Shared parameters and repeated layers]).
  explicit Linear(Tensor weight, Tensor bias = Tensor());

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

  std::vector<Tensor> per_sample_parameters() const override;
  std::vector<Tensor> per_sample_sq_norms() override;
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override;
  std::vector<Tensor> grad_samples() override;

  struct Record;  // what backward keeps for the per-sample rule

 private:
  std::int64_t in_features_, out_features_;
  Tensor weight_;
  Tensor bias_;  // undefined without bias
};

}  // namespace veil
