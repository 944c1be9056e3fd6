#pragma once
// A TrainingState (Note [Saved training state]) inside a Checkpoint
// (layers/serialization.h):
//   tensors  "optimizer.<name>"  the optimizer's buffers (absent ones omitted)
//   fields   "optimizer"         its kind
//            "global_step"       the steps taken, a decimal count
//            "privacy_ledger"    the ledger's text, DP runs only
// A trainer adds its model as "model.<name>" tensors and its own run
// settings as further fields beside these.
#include <string>

#include "veil/layers/serialization.h"
#include "veil/privacy/dp_optimizer.h"

namespace veil {

void store_training_state(Checkpoint& checkpoint, const TrainingState& state);

// The state saved in `checkpoint`, read from file `path`, for an optimizer
// shaped like `target` (its state() names the buffers to look for); `dp`
// requires the ledger. Throws veil::Error with one sentence naming the file
// and the field for a missing or malformed field, an "optimizer." tensor
// that `target` has no buffer for, an unreadable ledger, or a ledger whose
// step count is not the checkpoint's global_step.
TrainingState read_training_state(const Checkpoint& checkpoint, const std::string& path, const Optimizer& target,
                                  bool dp);

}  // namespace veil
