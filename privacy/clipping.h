#pragma once
// Per-sample clipping (DESIGN.md step 4).
//
// Flat: one threshold C over all parameters of an example:
//   n_i = sqrt(sum over parameters ||g_i,p||^2),  c_i = min(1, C / (n_i + 1e-6)).
// Per-layer: a threshold C_p per parameter, c_i,p = min(1, C_p / (n_i,p + 1e-6));
// the total sensitivity is sqrt(sum_p C_p^2).
// clip_and_accumulate adds sum_i c_i g_i into each parameter's .grad through
// the layers' weighted-sum route (no per-sample gradient is materialised
// unless the layer chose that route) and clears the layers' records.
#include <vector>

#include "veil/layers/per_sample.h"

namespace veil {

struct ClippingConfig {
  double max_grad_norm = 1.0;               // flat C; +infinity disables clipping
  std::vector<double> per_parameter_norms;  // non-empty: per-layer clipping, one per parameter
  bool per_layer() const { return !per_parameter_norms.empty(); }
  // The L2 sensitivity of one example's clipped contribution.
  double sensitivity() const;
};

struct ClippingStats {
  std::int64_t batch_size = 0;
  std::vector<double> norms;  // n_i, each example's gradient norm before clipping
  double clipped_fraction = 0.0;  // share of examples with c_i < 1 (flat) or any c_i,p < 1
};

ClippingStats clip_and_accumulate(const std::vector<PerSampleLayer*>& layers, const ClippingConfig& config);

}  // namespace veil
