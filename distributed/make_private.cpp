#include "veil/distributed/make_private.h"

namespace veil::distributed {

PrivateTraining make_private(PrivacyEngine& engine, DPDDP& model, std::unique_ptr<Optimizer> optimizer,
                             const data::DataLoader& loader, double noise_multiplier, double max_grad_norm,
                             MakePrivateOptions options) {
  options.reducer = &model.group();
  return engine.make_private(model.module(), std::move(optimizer), loader, noise_multiplier, max_grad_norm, options);
}

PrivateTraining make_private_with_epsilon(PrivacyEngine& engine, DPDDP& model, std::unique_ptr<Optimizer> optimizer,
                                          const data::DataLoader& loader, double target_epsilon, double target_delta,
                                          std::int64_t epochs, double max_grad_norm, MakePrivateOptions options) {
  options.reducer = &model.group();
  return engine.make_private_with_epsilon(model.module(), std::move(optimizer), loader, target_epsilon, target_delta,
                                          epochs, max_grad_norm, options);
}

}  // namespace veil::distributed
