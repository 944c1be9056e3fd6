#include "veil/privacy/privacy_engine.h"

#include <cmath>
#include <sstream>

#include "veil/core/error.h"
#include "veil/privacy/validator.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/data/poisson_schedule.h"

namespace veil {

privacy::EpsilonResult epsilon_of(const privacy::PrivacyLedger& ledger, const std::string& accountant, double delta) {
  auto acc = privacy::make_accountant(accountant);
  privacy::replay(ledger, *acc);
  if (ledger.empty()) return {0.0, std::nan("")};
  return acc->get_epsilon(delta);
}

PrivacyEngine::PrivacyEngine(std::string accountant, bool secure_mode)
    : accountant_(std::move(accountant)), secure_mode_(secure_mode) {
  privacy::make_accountant(accountant_);  // throws for an unknown name
}

PrivateTraining PrivacyEngine::make_private(Module& model, std::unique_ptr<Optimizer> optimizer,
                                            const data::DataLoader& loader, double noise_multiplier,
                                            double max_grad_norm, const MakePrivateOptions& options) {
  check_dp_compatible(model);
  model.set_per_sample({options.grad_sample_mode, options.loss_reduction});
  PrivateTraining out;
  // In secure mode the batches must be unpredictable too: a known sampler
  // seed reveals which examples each step used and voids the subsampling
  // part of the guarantee.
  // Workers' sampling keys may differ (secure mode): each samples a disjoint
  // shard, so every example is still in the global batch independently with
  // rate q.
  const int rank = options.reducer ? options.reducer->rank() : 0;
  const int workers = options.reducer ? options.reducer->size() : 1;
  out.loader = secure_mode_
                   ? std::make_shared<data::DPDataLoader>(data::DPDataLoader::make_secure(loader, rank, workers))
                   : std::make_shared<data::DPDataLoader>(loader, options.seed, rank, workers);
  DPOptimizerOptions dp;
  dp.noise_multiplier = noise_multiplier;
  dp.clipping.max_grad_norm = max_grad_norm;
  dp.clipping.per_parameter_norms = options.per_layer_max_grad_norms;
  dp.sample_rate = out.loader->sample_rate();
  dp.expected_batch_size = out.loader->expected_batch_size();
  dp.noise_seed = options.seed;
  dp.secure_mode = secure_mode_;
  out.optimizer = std::make_shared<DPOptimizer>(model, std::move(optimizer), dp, options.reducer);
  optimizer_ = out.optimizer;
  if (budget_) set_epsilon_budget(budget_->first, budget_->second);
  // The central limit theorem behind GDP holds only asymptotically: its
  // epsilon is not an upper bound.
  if (accountant_ == "gdp")
    out.warnings.push_back(
        "the gdp accountant is a central-limit approximation that can under-state epsilon; use rdp or prv for a "
        "guaranteed upper bound");
  return out;
}

PrivateTraining PrivacyEngine::make_private_with_epsilon(Module& model, std::unique_ptr<Optimizer> optimizer,
                                                         const data::DataLoader& loader, double target_epsilon,
                                                         double target_delta, std::int64_t epochs,
                                                         double max_grad_norm, const MakePrivateOptions& options) {
  VEIL_CHECK(epochs > 0) << "make_private_with_epsilon: epochs must be positive, got " << epochs;
  const data::PoissonSchedule schedule =
      data::poisson_schedule(loader.dataset().size(), loader.batch_size(), loader.drop_last());
  const double sigma = privacy::noise_for_epsilon(target_epsilon, target_delta, schedule.sample_rate,
                                                  schedule.steps(static_cast<double>(epochs)), accountant_);
  PrivateTraining out = make_private(model, std::move(optimizer), loader, sigma, max_grad_norm, options);
  if (accountant_ == "gdp") {
    std::ostringstream os;
    os << "the noise multiplier was calibrated with the gdp accountant, so the run may spend more than the target "
          "epsilon "
       << target_epsilon;
    out.warnings.push_back(os.str());
  }
  return out;
}

privacy::EpsilonResult PrivacyEngine::get_epsilon(double delta) const {
  VEIL_CHECK(optimizer_) << "get_epsilon before make_private";
  return epsilon_of(optimizer_->ledger(), accountant_, delta);
}

void PrivacyEngine::set_epsilon_budget(double max_epsilon, double delta) {
  VEIL_CHECK(max_epsilon > 0) << "privacy budget must be positive, got " << max_epsilon;
  budget_ = {max_epsilon, delta};
  if (!optimizer_) return;
  optimizer_->set_step_guard([max_epsilon, delta, name = accountant_](const privacy::PrivacyLedger& after) {
    const double eps = epsilon_of(after, name, delta).epsilon;
    VEIL_CHECK(eps <= max_epsilon) << "privacy budget exhausted: this step would spend epsilon " << eps
                                   << " > budget " << max_epsilon << " at delta " << delta << " after "
                                   << after.total_steps() << " steps";
  });
}

}  // namespace veil
