#include "veil/privacy/dp_optimizer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"
#include "veil/core/phase_marks.h"
#include "veil/core/reduce_kernels.h"
#include "veil/privacy/gaussian_noise.h"

namespace veil {

namespace {

bool covered_by_a_layer(const Tensor& param, const std::vector<PerSampleLayer*>& layers) {
  for (PerSampleLayer* layer : layers)
    for (const Tensor& p : layer->per_sample_parameters())
      if (p.is_same(param)) return true;
  return false;
}

}  // namespace

DPOptimizer::DPOptimizer(Module& model, std::unique_ptr<Optimizer> optimizer, const DPOptimizerOptions& options,
                         GradientReducer* reducer)
    : model_(model), optimizer_(std::move(optimizer)), options_(options), reducer_(reducer) {
  VEIL_CHECK(optimizer_ != nullptr) << "DPOptimizer needs an optimizer";
  VEIL_CHECK(options.noise_multiplier >= 0 && std::isfinite(options.noise_multiplier))
      << "noise_multiplier must be finite and >= 0, got " << options.noise_multiplier;
  VEIL_CHECK(options.clipping.max_grad_norm > 0) << "max_grad_norm must be > 0, got " << options.clipping.max_grad_norm;
  VEIL_CHECK(options.expected_batch_size > 0) << "expected batch size (q*N) must be > 0, got "
                                              << options.expected_batch_size;
  VEIL_CHECK(options.sample_rate > 0 && options.sample_rate <= 1) << "sample rate must be in (0, 1], got "
                                                                  << options.sample_rate;
  VEIL_CHECK(options.noise_multiplier == 0 || std::isfinite(options.clipping.sensitivity()))
      << "noise needs a finite max_grad_norm";
  const auto layers = model_.per_sample_layers();
  for (const auto& [name, param] : model_.named_parameters()) {
    if (!param.requires_grad()) continue;  // frozen: never updated
    VEIL_CHECK(covered_by_a_layer(param, layers))
        << "DPOptimizer: parameter '" << name << "' is trainable but no per-sample layer computes its per-example "
        << "gradients, so it cannot be clipped (freeze it, or compute it in a layer with a per-sample rule)";
    names_.push_back(name);
    parameters_.push_back(param);
  }
  clipped_sums_.resize(parameters_.size());
  if (options.secure_mode) secure_rng_ = std::make_unique<SecureRng>();
  if (!model_.per_sample_config().enabled()) model_.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
}

std::string DPOptimizer::describe() const {
  std::ostringstream os;
  os << "DPOptimizer(" << optimizer_->describe() << ", noise_multiplier=" << options_.noise_multiplier
     << ", max_grad_norm=" << options_.clipping.sensitivity() << ", expected_batch_size=" << options_.expected_batch_size
     << (options_.secure_mode ? ", secure_mode" : "") << ")";
  return os.str();
}

void DPOptimizer::zero_grad() {
  optimizer_->zero_grad();
  for (const Tensor& p : parameters_) p.set_grad(Tensor());
  for (PerSampleLayer* layer : model_.per_sample_layers()) layer->clear_per_sample();
  for (Tensor& sum : clipped_sums_) sum = Tensor();
  pending_examples_ = 0;
  pending_microbatches_ = 0;
}

void DPOptimizer::require_no_unclipped_grads() const {
  for (std::size_t k = 0; k < parameters_.size(); ++k)
    VEIL_CHECK(!parameters_[k].grad().defined())
        << "DPOptimizer: parameter '" << names_[k] << "' has a gradient that did not come from per-sample clipping "
        << "(is it also used outside its per-sample layer, e.g. through matmul, or did backward run with per-sample "
        << "mode off?); refusing the step, which would apply it without clipping";
}

void DPOptimizer::accumulate_microbatch() {
  NoGradGuard no_grad;
  require_no_unclipped_grads();
  last_clipping_ = clip_and_accumulate(model_.per_sample_layers(), options_.clipping);
  // Clipping wrote the clipped sums into .grad; keep them aside so that
  // .grad holds nothing but what the next backward adds.
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const Tensor grad = parameters_[k].grad();
    if (!grad.defined()) continue;
    if (clipped_sums_[k].defined()) clipped_sums_[k].add_(grad);
    else clipped_sums_[k] = grad;
    parameters_[k].set_grad(Tensor());
  }
  pending_examples_ += last_clipping_.batch_size;
  if (last_clipping_.batch_size > 0) {
    // Counted on the device: no host read inside the step (Note [Host reads]).
    const Tensor dropped = sum_kernel(last_clipping_.non_finite, {0}, false);
    if (non_finite_count_.defined()) non_finite_count_.add_(dropped);
    else non_finite_count_ = dropped;
  }
  ++pending_microbatches_;
  phase_done("clipping");
}

void DPOptimizer::add_noise() {
  const double std = options_.noise_multiplier * options_.clipping.sensitivity();
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const NoiseSource source = options_.secure_mode
                                   ? NoiseSource::secure(*secure_rng_)
                                   : NoiseSource::philox(options_.noise_seed, static_cast<std::uint64_t>(steps_),
                                                         static_cast<std::uint32_t>(k));
    add_gaussian_noise_(parameters_[k].grad(), std, source);
  }
}

void DPOptimizer::step() {
  NoGradGuard no_grad;
  // Any layer with a record means a pending micro-batch; clipping then
  // insists that every layer has one (checking only the first layer would
  // skip the whole micro-batch silently when that layer saw no backward).
  const auto layers = model_.per_sample_layers();
  if (std::any_of(layers.begin(), layers.end(), [](PerSampleLayer* l) { return l->has_per_sample(); }))
    accumulate_microbatch();
  require_no_unclipped_grads();
  VEIL_CHECK(pending_microbatches_ > 0)
      << "DPOptimizer::step: no per-sample gradients were recorded for this step (run forward and backward with "
      << "per-sample mode on first; an empty batch still needs its forward and backward pass)";
  if (step_guard_) {
    privacy::PrivacyLedger after = ledger_;
    after.record(options_.sample_rate, options_.noise_multiplier);
    step_guard_(after);
  }
  // The clipped sums replace .grad. A parameter no example reached (an
  // empty Poisson batch) still gets noise.
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const Tensor& p = parameters_[k];
    p.set_grad(clipped_sums_[k].defined() ? clipped_sums_[k] : Tensor::zeros(p.shape(), p.dtype(), p.device()));
    clipped_sums_[k] = Tensor();
  }
  // Noise once for the global sum: only rank 0 adds it (gradient_reducer.h).
  if (options_.noise_multiplier > 0 && (!reducer_ || reducer_->rank() == 0)) add_noise();
  phase_done("noise");
  if (reducer_) {
    std::vector<Tensor> grads;
    for (const Tensor& p : parameters_) grads.push_back(p.grad());
    reducer_->all_reduce_sum_(grads);
  }
  for (const Tensor& p : parameters_) p.grad().mul_(1.0 / options_.expected_batch_size);
  optimizer_->step();
  ledger_.record(options_.sample_rate, options_.noise_multiplier);  // sigma 0 too: epsilon is then infinite
  ++steps_;
  zero_grad();
  phase_done("update");
}

std::int64_t DPOptimizer::non_finite_examples() const {
  return non_finite_count_.defined() ? std::llround(non_finite_count_.item()) : 0;
}

DPOptimizer::PendingRecord DPOptimizer::pending_record() const {
  return PendingRecord{clipped_sums_, pending_examples_, pending_microbatches_, last_clipping_};
}

void DPOptimizer::restore_pending(const PendingRecord& record) {
  VEIL_CHECK(pending_microbatches_ == 0) << "DPOptimizer::restore_pending: " << pending_microbatches_
                                         << " micro-batches are pending already; a recorded step's record replaces "
                                         << "running that step, it does not add to another";
  VEIL_CHECK(record.sums.size() == parameters_.size())
      << "DPOptimizer::restore_pending: the record holds " << record.sums.size() << " sums for "
      << parameters_.size() << " trainable parameters";
  clipped_sums_ = record.sums;
  pending_examples_ = record.examples;
  pending_microbatches_ = record.microbatches;
  last_clipping_ = record.clipping;
}

TrainingState DPOptimizer::state() const {
  return TrainingState{optimizer_->kind(), optimizer_->state(), steps_, ledger_};
}

void DPOptimizer::load_state(const TrainingState& state) {
  VEIL_CHECK(state.optimizer_kind == optimizer_->kind())
      << "DPOptimizer: the saved state is a " << state.optimizer_kind << " optimizer's, this one is "
      << optimizer_->kind();
  VEIL_CHECK(state.steps >= 0) << "DPOptimizer: the saved step count " << state.steps << " is negative";
  VEIL_CHECK(state.ledger.has_value()) << "DPOptimizer: the saved state has no privacy ledger";
  // Every step taken is in the ledger: one that holds fewer would report
  // less privacy spent than was spent.
  VEIL_CHECK(state.ledger->total_steps() == state.steps)
      << "privacy ledger holds " << state.ledger->total_steps() << " steps but it was written at step "
      << state.steps;
  optimizer_->load_state(state.optimizer);  // checks, then commits
  steps_ = state.steps;
  ledger_ = *state.ledger;
}

}  // namespace veil
