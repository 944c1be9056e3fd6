#include "veil/layers/materialized_per_sample.h"

#include "veil/autograd/node.h"
#include "veil/core/error.h"
#include "veil/autograd/ops.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

std::vector<Tensor> MaterializedPerSampleLayer::finish_parameter_grads(std::vector<Tensor> samples,
                                                                       const PerSampleConfig& config,
                                                                       std::int64_t batch) {
  std::vector<Tensor> grads(samples.size());
  if (!config.enabled()) {
    for (std::size_t p = 0; p < samples.size(); ++p) grads[p] = sum(samples[p], {0});
    return grads;
  }
  const double scale = per_sample::reduction_scale(config.loss_reduction, batch);
  for (Tensor& s : samples)
    if (scale != 1.0) s = mul_scalar(s, scale);
  const std::uint64_t pass = autograd::current_backward_pass();
  // A parameter-free instance is never clipped, so never cleared: nothing to merge.
  if (recorded_ && !samples.empty()) {
    // Another call in the same forward: its per-sample gradients add up
    // (Note [Shared parameters and repeated layers]).
    check_same_backward_pass(backward_pass_, pass, describe_layer(*this));
    VEIL_CHECK(batch == batch_) << describe_layer(*this) << " recorded batches of " << batch_ << " and " << batch
                                << " examples before its per-sample gradients were consumed";
    for (std::size_t p = 0; p < samples.size(); ++p) samples_[p] = add(samples_[p], samples[p]);
    return grads;
  }
  samples_ = std::move(samples);
  backward_pass_ = pass;
  batch_ = batch;
  recorded_ = true;
  return grads;
}

void MaterializedPerSampleLayer::require_record() const {
  VEIL_CHECK(recorded_) << describe_layer(*this) << ": no per-sample gradients recorded (per-sample mode off, or no backward)";
}

std::vector<Tensor> MaterializedPerSampleLayer::grad_samples() {
  require_record();
  return samples_;
}

std::vector<Tensor> MaterializedPerSampleLayer::per_sample_sq_norms() {
  require_record();
  std::vector<Tensor> norms;
  for (const Tensor& s : samples_) norms.push_back(per_sample::row_sq_norms(s));
  return norms;
}

void MaterializedPerSampleLayer::accumulate_weighted_grads(const std::vector<Tensor>& coeffs) {
  require_record();
  const std::vector<Tensor> params = per_sample_parameters();
  per_sample::check_coefficients(describe_layer(*this), coeffs, params.size());
  per_sample::accumulate_materialized(params, samples_, coeffs);
}

void MaterializedPerSampleLayer::clear_per_sample() {
  recorded_ = false;
  batch_ = 0;
  samples_.clear();
}

}  // namespace veil
