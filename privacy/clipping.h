#pragma once
// Per-sample clipping (DESIGN.md step 4).
//
// Flat: one threshold C over all parameters of an example:
//   n_i = sqrt(sum over parameters ||g_i,p||^2),  c_i = min(1, C / (n_i + 1e-6)).
// Per-layer: a threshold C_p per parameter, c_i,p = min(1, C_p / (n_i,p + 1e-6));
// the total sensitivity is sqrt(sum_p C_p^2).
// clip_and_accumulate adds sum_i c_i g_i into each parameter's .grad through
// the layers' weighted-sum route (no per-sample gradient is materialised
// unless the layer chose that route, or the parameter is shared by several
// layers: Note [Shared parameters and repeated layers]) and clears the
// layers' records.
//
// Non-finite examples: an example whose gradient norm is NaN or inf (a
// corrupt input, an overflowing loss) either contributes exactly zero (the
// default: c_i = 0 keeps every example's contribution within C, so the
// sensitivity bound and the privacy guarantee hold) or stops training.
//
// Clipping reads nothing back to the host (Note [Host reads]): its
// statistics stay on the gradients' device until asked for, and the Error
// policy's check is deferred on a GPU (Note [Deferred device errors]).
#include <cstdint>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/layers/per_sample.h"

namespace veil {

enum class NonFinitePolicy {
  Zero,   // the example contributes zero and is counted
  // Clipping fails, naming the example's position in the batch: on the CPU
  // it throws at once and changes nothing; on a GPU the example contributes
  // zero (as with Zero) and the error is raised at the next host read.
  Error,
};

struct ClippingConfig {
  double max_grad_norm = 1.0;               // flat C; +infinity disables clipping
  std::vector<double> per_parameter_norms;  // non-empty: per-layer clipping, one per parameter
  NonFinitePolicy non_finite = NonFinitePolicy::Zero;
  bool per_layer() const { return !per_parameter_norms.empty(); }
  // The L2 sensitivity of one example's clipped contribution.
  double sensitivity() const;
};

// Statistics of one clipped micro-batch. The tensors are float64 [B] on the
// gradients' device, written without a host read; the accessors read them
// (each one a host read: call them outside the step, e.g. when the loss is
// printed).
struct ClippingStats {
  std::int64_t batch_size = 0;
  Tensor norms;       // n_i, each example's gradient norm before clipping
  Tensor clipped;     // 1 where c_i < 1 (flat) or any c_i,p < 1, else 0
  Tensor non_finite;  // 1 where n_i is NaN or inf (the example contributed zero), else 0

  std::vector<double> norm_values() const;
  double clipped_fraction() const;  // share of examples clipped; 0 for an empty batch
  // Examples dropped for a non-finite gradient norm (NonFinitePolicy::Zero).
  // A diagnostic computed from the private data without noise: it is not
  // covered by the DP guarantee, so do not publish it.
  std::int64_t non_finite_examples() const;
};

// `layers` must each hold a per-sample record of the same batch. Throws when
// a parameter appears twice within one layer's list, or for the per-layer
// thresholds not matching the number of distinct parameters.
ClippingStats clip_and_accumulate(const std::vector<PerSampleLayer*>& layers, const ClippingConfig& config);

}  // namespace veil
