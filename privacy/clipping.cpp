#include "veil/privacy/clipping.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "veil/core/clip_kernels.h"
#include "veil/core/device_checks.h"
#include "veil/core/elementwise.h"
#include "veil/core/error.h"
#include "veil/core/phase_marks.h"
#include "veil/core/reduce_kernels.h"
#include "veil/autograd/ops.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

namespace {
constexpr double kNormStabiliser = 1e-6;  // as Opacus: C / (n + 1e-6)

// The distinct parameters of `layers` in first-seen order, and for each
// layer the index of each of its parameters in that list.
struct ParameterTable {
  std::vector<Tensor> params;
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> uses;  // per param: (layer, slot)
  std::vector<std::vector<std::size_t>> index;                          // per layer, per slot
};

ParameterTable distinct_parameters(const std::vector<PerSampleLayer*>& layers) {
  ParameterTable table;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::vector<Tensor> own = layers[l]->per_sample_parameters();
    std::vector<std::size_t>& slots = table.index.emplace_back();
    for (std::size_t j = 0; j < own.size(); ++j) {
      const auto found = std::find_if(table.params.begin(), table.params.end(),
                                      [&](const Tensor& p) { return p.is_same(own[j]); });
      const std::size_t u = static_cast<std::size_t>(found - table.params.begin());
      if (found == table.params.end()) {
        table.params.push_back(own[j]);
        table.uses.emplace_back();
      }
      for (const auto& [other_layer, other_slot] : table.uses[u])
        VEIL_ASSERT(other_layer != l) << "a per-sample layer lists one parameter twice (slots " << other_slot
                                      << " and " << j << ")";
      table.uses[u].emplace_back(l, j);
      slots.push_back(u);
    }
  }
  return table;
}

const DeviceCheck kFiniteNorms([](const CheckFailure& f) {
  std::ostringstream os;
  os << "example " << f.index << " of the batch has a non-finite gradient norm (" << f.value
     << "); the loss or the model produced NaN or inf";
  return os.str();
});

// The sum of a float64 flags tensor, read on the host.
double read_total(const Tensor& flags) { return sum_kernel(flags, {0}, false).item(); }

}  // namespace

std::vector<double> ClippingStats::norm_values() const {
  return norms.defined() ? norms.to(Device::cpu()).to_vector<double>() : std::vector<double>{};
}

double ClippingStats::clipped_fraction() const {
  return batch_size == 0 ? 0.0 : read_total(clipped) / static_cast<double>(batch_size);
}

std::int64_t ClippingStats::non_finite_examples() const {
  return batch_size == 0 ? 0 : std::llround(read_total(non_finite));
}

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
                                        << "per-sample mode on since the last step?)";
  const std::int64_t batch = layers.front()->per_sample_batch_size();
  for (PerSampleLayer* layer : layers)
    VEIL_CHECK(layer->per_sample_batch_size() == batch)
        << "clipping: layers recorded different batch sizes (" << layer->per_sample_batch_size() << " vs " << batch << ")";
  stats.batch_size = batch;

  const ParameterTable table = distinct_parameters(layers);
  const std::size_t count = table.params.size();
  if (config.per_layer()) {
    VEIL_CHECK(config.per_parameter_norms.size() == count)
        << "per-layer clipping: " << config.per_parameter_norms.size() << " thresholds for " << count
        << " parameters";
  }

  // Squared per-sample norms of each distinct parameter. A shared parameter's
  // per-sample gradient is the sum over its layers, materialised.
  std::vector<std::vector<Tensor>> layer_norms(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) layer_norms[l] = layers[l]->per_sample_sq_norms();
  std::vector<Tensor> sq_norms(count), shared_sums(count);
  for (std::size_t u = 0; u < count; ++u) {
    if (table.uses[u].size() == 1) {
      const auto [l, j] = table.uses[u].front();
      sq_norms[u] = layer_norms[l][j];
      continue;
    }
    for (const auto& [l, j] : table.uses[u]) {
      const Tensor samples = layers[l]->grad_samples()[j];
      shared_sums[u] = shared_sums[u].defined() ? add(shared_sums[u], samples) : samples;
    }
    sq_norms[u] = per_sample::row_sq_norms(shared_sums[u]);
  }

  // Each example's norm over all parameters, summed in parameter order.
  // Squares are >= 0, so the total is finite exactly when every part is.
  Tensor totals = Tensor::zeros({batch}, DType::Float64, sq_norms.empty() ? Device::cpu() : sq_norms[0].device());
  for (const Tensor& n : sq_norms) binary_kernel_(BinaryKind::Add, totals, n);
  unary_kernel_(UnaryKind::Sqrt, totals);
  if (config.non_finite == NonFinitePolicy::Error) check_all_finite(totals, kFiniteNorms);
  stats.norms = totals;
  stats.non_finite = non_finite_flags(totals);
  stats.clipped = Tensor::zeros({batch}, DType::Float64, totals.device());
  phase_done("per-sample norms");

  // Clipping factors (0 for a non-finite example): one vector for all
  // parameters (flat) or one each.
  std::vector<Tensor> coeffs(count);
  for (std::size_t u = 0; u < count; ++u) {
    if (!config.per_layer() && u > 0) {
      coeffs[u] = coeffs[0];
      continue;
    }
    coeffs[u] = config.per_layer() ? clip_factors(unary_kernel(UnaryKind::Sqrt, sq_norms[u]), totals,
                                                  config.per_parameter_norms[u], kNormStabiliser)
                                   : clip_factors(totals, totals, config.max_grad_norm, kNormStabiliser);
    mark_clipped_(coeffs[u], totals, stats.clipped);
  }

  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::vector<Tensor> layer_coeffs;
    for (std::size_t u : table.index[l]) layer_coeffs.push_back(shared_sums[u].defined() ? Tensor() : coeffs[u]);
    layers[l]->accumulate_weighted_grads(layer_coeffs);
  }
  for (std::size_t u = 0; u < count; ++u)
    if (shared_sums[u].defined())
      per_sample::add_into_grad(table.params[u], per_sample::weighted_row_sum(shared_sums[u], coeffs[u]));
  for (PerSampleLayer* layer : layers) layer->clear_per_sample();
  return stats;
}

}  // namespace veil
