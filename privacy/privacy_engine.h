#pragma once
// PrivacyEngine: makes a model, optimizer and data loader private, and
// reports the privacy spent (the role of Opacus's PrivacyEngine).
//
//   PrivacyEngine engine;                       // RDP accountant
//   auto priv = engine.make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}),
//                                   loader, /*noise_multiplier=*/1.0, /*max_grad_norm=*/1.0);
//   priv.loader->for_each_batch(0, steps, [&](std::int64_t, const data::Batch& b) {
//     cross_entropy(model(b.inputs), b.targets).backward();
//     priv.optimizer->step();
//   });
//   double eps = engine.get_epsilon(1e-5).epsilon;
//
// make_private validates the model (no BatchNorm, every parametric layer has
// a per-sample rule), turns on per-sample recording, replaces the loader by a
// Poisson loader with q = 1/len(loader) (data::poisson_schedule), and wraps
// the optimizer in a DPOptimizer that divides by the expected batch size q*N.
// With a reducer (distributed/), q and q*N stay global: each worker
// Poisson-samples its own shard at rate q and the clipped sums are added over
// the workers.
//
// Library code never prints: what the caller should tell the user (the GDP
// accountant's epsilon is an approximation that can under-state the privacy
// spent) comes back in PrivateTraining::warnings.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "veil/data/data_loader.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/dp_optimizer.h"

namespace veil {

struct MakePrivateOptions {
  LossReduction loss_reduction = LossReduction::Mean;  // must match the loss used
  GradSampleMode grad_sample_mode = GradSampleMode::Auto;
  std::vector<double> per_layer_max_grad_norms{};  // non-empty: per-layer clipping
  std::uint64_t seed = 0;  // sampling and noise; secure mode ignores it and seeds both from the OS
  // One worker of a data-parallel run (distributed::make_private sets it): the
  // loader samples this worker's shard, the optimizer sums over the workers.
  GradientReducer* reducer = nullptr;
};

struct PrivateTraining {
  std::shared_ptr<DPOptimizer> optimizer;
  std::shared_ptr<data::DPDataLoader> loader;
  std::vector<std::string> warnings;  // one sentence each, for the caller to show
};

class PrivacyEngine {
 public:
  // `accountant` (a make_accountant name: rdp, prv, pld or gdp) computes every
  // epsilon: calibration, get_epsilon and the budget guard.
  explicit PrivacyEngine(std::string accountant = "rdp", bool secure_mode = false);

  PrivateTraining make_private(Module& model, std::unique_ptr<Optimizer> optimizer, const data::DataLoader& loader,
                               double noise_multiplier, double max_grad_norm, const MakePrivateOptions& options = {});
  // Calibrates the noise multiplier so that `epochs` epochs of
  // poisson_schedule(N, batch size, drop_last) spend at most target_epsilon
  // at target_delta, then calls make_private.
  PrivateTraining make_private_with_epsilon(Module& model, std::unique_ptr<Optimizer> optimizer,
                                            const data::DataLoader& loader, double target_epsilon,
                                            double target_delta, std::int64_t epochs, double max_grad_norm,
                                            const MakePrivateOptions& options = {});

  // Privacy spent so far by the private optimizer (epsilon 0 before a step).
  privacy::EpsilonResult get_epsilon(double delta) const;
  // Refuse any step that would take epsilon (at delta) above max_epsilon.
  void set_epsilon_budget(double max_epsilon, double delta);
  const std::string& accountant_name() const { return accountant_; }

 private:
  std::string accountant_;
  bool secure_mode_;
  std::shared_ptr<DPOptimizer> optimizer_;
  std::optional<std::pair<double, double>> budget_;  // (epsilon, delta)
};

// Epsilon of a ledger under a named accountant.
privacy::EpsilonResult epsilon_of(const privacy::PrivacyLedger& ledger, const std::string& accountant, double delta);

}  // namespace veil
