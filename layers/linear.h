#pragma once
// Linear: y = x W^T + b.
//
// Shapes: x [B, D_in] or [B, T, D_in]; W [D_out, D_in]; b [D_out];
// y [B, D_out] or [B, T, D_out]. Initialisation as PyTorch: W and b uniform
// in +-1/sqrt(D_in) (Kaiming-uniform with a = sqrt(5)).
//
// Per-sample rule: Note [Rows times output gradients] with rows x [B, T,
// D_in] (T = 1 for a 2-D input), one group: dW_i = g_i^T x_i,
// db_i = sum_t g_i[t]; ghost norms ||g_i||^2 ||x_i||^2 for T = 1.
#include <memory>

#include "veil/layers/module.h"
#include "veil/layers/rows_times_grads.h"

namespace veil {

class Linear : public Module, public RowsTimesGradsLayer {
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

  const Tensor& weight() const override { return weight_; }
  const Tensor& bias() const override { return bias_; }

 protected:
  Tensor summed_weight_grad(const Tensor& grads, const Tensor& rows) const override;
  Tensor per_sample_bias_grads(const Tensor& grads) const override;
  Tensor summed_bias_grad(const Tensor& grads) const override;

 private:
  std::int64_t in_features_, out_features_;
  Tensor weight_;
  Tensor bias_;  // undefined without bias
};

}  // namespace veil
