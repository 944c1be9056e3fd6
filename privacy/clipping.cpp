#include "veil/privacy/clipping.h"

#include <algorithm>
#include <cmath>

#include "veil/core/error.h"

namespace veil {

namespace {
constexpr double kNormStabiliser = 1e-6;  // as Opacus: C / (n + 1e-6)

double clip_factor(double threshold, double norm) { return std::min(1.0, threshold / (norm + kNormStabiliser)); }
}  // namespace

double ClippingConfig::sensitivity() const {
  if (!per_layer()) return max_grad_norm;
  double total = 0.0;
  for (double c : per_parameter_norms) total += c * c;
  return std::sqrt(total);
}

ClippingStats clip_and_accumulate(const std::vector<PerSampleLayer*>& layers, const ClippingConfig& config) {
  ClippingStats stats;
  if (layers.empty()) return stats;
  for (PerSampleLayer* layer : layers)
    VEIL_CHECK(layer->has_per_sample()) << "clipping: a layer has no per-sample gradients (was backward run with "
                                        << "per-sample mode on, and only once since the last step?)";
  const std::int64_t batch = layers.front()->per_sample_batch_size();
  for (PerSampleLayer* layer : layers)
    VEIL_CHECK(layer->per_sample_batch_size() == batch)
        << "clipping: layers recorded different batch sizes (" << layer->per_sample_batch_size() << " vs " << batch << ")";
  stats.batch_size = batch;

  // Squared norms per layer and parameter.
  std::vector<std::vector<Tensor>> sq_norms;
  std::size_t param_count = 0;
  for (PerSampleLayer* layer : layers) {
    sq_norms.push_back(layer->per_sample_sq_norms());
    param_count += sq_norms.back().size();
  }
  if (config.per_layer()) {
    VEIL_CHECK(config.per_parameter_norms.size() == param_count)
        << "per-layer clipping: " << config.per_parameter_norms.size() << " thresholds for " << param_count
        << " parameters";
  }

  stats.norms.assign(batch, 0.0);
  for (const auto& layer_norms : sq_norms)
    for (const Tensor& n : layer_norms) {
      const double* p = n.data<double>();
      for (std::int64_t i = 0; i < batch; ++i) stats.norms[i] += p[i];
    }
  for (std::size_t i = 0; i < stats.norms.size(); ++i) {
    stats.norms[i] = std::sqrt(stats.norms[i]);
    // A NaN norm would slip through min(1, C / n) unclipped: refuse it.
    VEIL_CHECK(std::isfinite(stats.norms[i])) << "example " << i << " of the batch has a non-finite gradient norm ("
                                              << stats.norms[i] << "); the loss or the model produced NaN or inf";
  }

  std::vector<bool> clipped(batch, false);
  Tensor flat = Tensor::empty({batch}, DType::Float64);
  if (!config.per_layer()) {
    double* c = flat.data<double>();
    for (std::int64_t i = 0; i < batch; ++i) {
      c[i] = clip_factor(config.max_grad_norm, stats.norms[i]);
      clipped[i] = c[i] < 1.0;
    }
  }
  std::size_t param_index = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::vector<Tensor> coeffs;
    for (const Tensor& n : sq_norms[l]) {
      if (!config.per_layer()) {
        coeffs.push_back(flat);
      } else {
        Tensor c = Tensor::empty({batch}, DType::Float64);
        const double* pn = n.data<double>();
        double* pc = c.data<double>();
        for (std::int64_t i = 0; i < batch; ++i) {
          pc[i] = clip_factor(config.per_parameter_norms[param_index], std::sqrt(pn[i]));
          clipped[i] = clipped[i] || pc[i] < 1.0;
        }
        coeffs.push_back(c);
      }
      ++param_index;
    }
    layers[l]->accumulate_weighted_grads(coeffs);
    layers[l]->clear_per_sample();
  }
  stats.clipped_fraction =
      batch == 0 ? 0.0 : static_cast<double>(std::count(clipped.begin(), clipped.end(), true)) / batch;
  return stats;
}

}  // namespace veil
