#pragma once
// Per-sample gradients: the contract between parametric layers and the
// privacy module.
//
// Note [Per-sample gradient routes]
// With per-sample recording on, a parametric layer's backward does not add
// into its parameters' .grad. It keeps, for each example i of the batch,
// enough to produce the gradient g_i of that example's own loss term:
//  - Materialize: grad_sample [B, ...param shape] per parameter;
//  - Ghost: the factors (input activations, output gradients) from which the
//    squared norms ||g_i||^2 and the weighted sum sum_i c_i g_i are computed
//    without ever forming g_i (Goodfellow 2015; Li et al. 2022; Bu et al.).
// Auto picks, per layer and from the shapes, the route with fewer
// multiply-adds (choose_route), unless the materialised gradients would
// exceed kMaxMaterializedBytes. Both routes give the same numbers (tested).
//
// Note [Shared parameters and repeated layers]
// The gradient of example i is a sum over every place a parameter is used:
//  - a layer called k times in one forward pass records each call, and the
//    records are folded into one (for the "rows times output gradients" rule
//    of Linear and the convolutions: the positions of the calls concatenated,
//    so dW_i = sum over all positions of g^T x, and ghost norms include the
//    cross terms between calls); norms are taken of the sum, never summed;
//  - a parameter shared by several layers (Linear(embedding->weight()))
//    gets the materialised per-sample gradients of each layer summed before
//    its norm and its clipped sum (privacy/clipping.cpp).
// A parameter used outside any per-sample layer (e.g. through matmul) has
// no per-sample gradient: DPOptimizer refuses the step.
//
// Loss reduction: with a mean-reduced loss the output gradient carries a 1/B
// factor; the layer multiplies it back (config.loss_reduction) so g_i is
// always the gradient of example i's own loss, as in Opacus.
#include <cstdint>
#include <string>
#include <vector>

#include "veil/core/tensor.h"

namespace veil {

enum class GradSampleMode { Off, Materialize, Ghost, Auto };
enum class LossReduction { Sum, Mean };

const char* grad_sample_mode_name(GradSampleMode mode);
GradSampleMode parse_grad_sample_mode(const std::string& text);

struct PerSampleConfig {
  GradSampleMode mode = GradSampleMode::Off;
  LossReduction loss_reduction = LossReduction::Mean;
  bool enabled() const { return mode != GradSampleMode::Off; }
};

// Implemented by every layer with parameters. The privacy module drives it:
// after backward, it asks each layer for per-sample squared norms, computes
// clipping factors, and asks for the clipped sums.
class PerSampleLayer {
 public:
  virtual ~PerSampleLayer() = default;

  // True after a backward pass recorded per-sample information that has not
  // been consumed (cleared) yet.
  virtual bool has_per_sample() const = 0;
  // Examples in the recorded batch.
  virtual std::int64_t per_sample_batch_size() const = 0;
  // The parameters, in the order of the vectors below.
  virtual std::vector<Tensor> per_sample_parameters() const = 0;
  // ||g_i||^2 for each parameter: one float64 tensor [B] per parameter.
  virtual std::vector<Tensor> per_sample_sq_norms() = 0;
  // Adds sum_i coeffs[p][i] * g_i into parameter p's .grad (creating it if
  // needed); coeffs are float64 [B], one per parameter. An undefined
  // coeffs[p] skips parameter p (the caller handles a shared parameter). A
  // coefficient of exactly 0 drops the example even where its gradient is
  // NaN or inf (0 * NaN would be NaN).
  virtual void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) = 0;
  // The materialised gradients [B, ...shape], one per parameter (computed
  // from the factors when the layer took the ghost route).
  virtual std::vector<Tensor> grad_samples() = 0;
  // The route the last backward took for this layer.
  virtual GradSampleMode route_taken() const = 0;
  // Drops the recorded information.
  virtual void clear_per_sample() = 0;
};

// Multiply-add counts of each route's whole DP work per example, for
// choosing a route; see Note [Per-sample gradient routes]. `positions` is T
// (Linear) or L (Conv), `in` the input features per position (D_in or
// C_in*k*k), `out` the output features. Materialising costs the per-sample
// GEMM, then a norm and a weighted sum over the K*O entries; the ghost route
// costs the two T x T Gram matrices, then the clipped sum as one more
// weight-gradient GEMM over the scaled rows.
inline double materialize_cost(std::int64_t positions, std::int64_t in, std::int64_t out) {
  return static_cast<double>(positions) * in * out + 2.0 * in * out;
}
inline double ghost_cost(std::int64_t positions, std::int64_t in, std::int64_t out) {
  return static_cast<double>(positions) * positions * (in + out) + static_cast<double>(positions) * in * out;
}
// The most memory the materialised route may hold for one layer; above it
// Auto takes the ghost route whatever the counts say.
inline constexpr std::int64_t kMaxMaterializedBytes = std::int64_t{256} << 20;
// The cheaper route, given the bytes the batch's materialised weight
// gradients would take.
GradSampleMode choose_route(GradSampleMode requested, std::int64_t positions, std::int64_t in, std::int64_t out,
                            double materialized_bytes);

// The layer's Module::describe(), for messages ("layer" for a non-Module).
std::string describe_layer(const PerSampleLayer& layer);

// Throws unless two per-sample records of `layer` come from the same backward
// pass: records of separate passes must be clipped (consumed) in between.
void check_same_backward_pass(std::uint64_t recorded, std::uint64_t incoming, const std::string& layer);

}  // namespace veil
