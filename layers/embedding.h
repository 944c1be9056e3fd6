#pragma once
// Embedding: a lookup table of num_embeddings rows of size D.
//
// Shapes: indices int64 [B] or [B, T], each in [0, V) with
// V = num_embeddings (an index outside fails naming it, example and
// position: at once on the CPU, at the next host read on a GPU, Note
// [Deferred device errors]); weight [V, D] initialised N(0, 1) as PyTorch;
// y [B, D] or [B, T, D] with y[b, t] = weight[indices[b, t]]. Indices get no
// gradient.
//
// Per-sample rule, g the output gradient: dW_i is zero except at the rows
// example i looked up, where
//   dW_i[v] = sum over t with indices[i, t] == v of g_i[t]
// (a scatter-add: repeated indices within one example add up).
// Routes (Note [Per-sample gradient routes]):
//  - Materialize forms dW_i [B, V, D];
//  - Ghost stays sparse: ||dW_i||^2 sums, over the distinct indices of
//    example i, the squared norm of the summed g rows; sum_i c_i dW_i
//    scatter-adds c_i g_i[t] straight into [V, D]. It costs B*T*D (plus a
//    sort of each example's T indices); materialising costs the same
//    scatter plus B*V*D to fill and reduce, so Auto always goes sparse.
#include <memory>

#include "veil/layers/module.h"
#include "veil/layers/recorded_per_sample.h"

namespace veil {

class Embedding : public Module, public RecordedPerSample {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, std::uint64_t seed);

  Tensor forward(const Tensor& indices) override;
  std::string describe() const override;

  const Tensor& weight() const { return weight_; }

  std::vector<Tensor> per_sample_parameters() const override;
  std::vector<Tensor> per_sample_sq_norms() override;
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override;
  std::vector<Tensor> grad_samples() override;

  struct Record;  // what backward keeps for the per-sample rule

 private:

  std::int64_t num_embeddings_, embedding_dim_;
  Tensor weight_;
};

}  // namespace veil
