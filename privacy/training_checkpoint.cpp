#include "veil/privacy/training_checkpoint.h"

#include <algorithm>
#include <charconv>

#include "veil/core/error.h"

namespace veil {

namespace {

const std::string kTensorPrefix = "optimizer.";

const std::string& field(const Checkpoint& checkpoint, const std::string& path, const std::string& name) {
  const auto it = checkpoint.fields.find(name);
  VEIL_CHECK(it != checkpoint.fields.end()) << "checkpoint " << path << " lacks the field '" << name << "'";
  return it->second;
}

std::int64_t count_field(const Checkpoint& checkpoint, const std::string& path, const std::string& name) {
  const std::string& text = field(checkpoint, path, name);
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  VEIL_CHECK(ec == std::errc() && end == text.data() + text.size() && value >= 0)
      << "checkpoint " << path << " has a malformed field '" << name << "': '" << text << "'";
  return value;
}

}  // namespace

void store_training_state(Checkpoint& checkpoint, const TrainingState& state) {
  for (const auto& [name, t] : state.optimizer)
    if (t.defined()) checkpoint.tensors[kTensorPrefix + name] = t;
  checkpoint.fields["optimizer"] = state.optimizer_kind;
  checkpoint.fields["global_step"] = std::to_string(state.steps);
  if (state.ledger) checkpoint.fields["privacy_ledger"] = state.ledger->to_string();
}

TrainingState read_training_state(const Checkpoint& checkpoint, const std::string& path, const Optimizer& target,
                                  bool dp) {
  TrainingState state;
  state.optimizer_kind = field(checkpoint, path, "optimizer");
  state.steps = count_field(checkpoint, path, "global_step");
  state.optimizer = target.state();
  std::size_t found = 0;
  for (auto& [name, t] : state.optimizer) {
    const auto it = checkpoint.tensors.find(kTensorPrefix + name);
    t = it == checkpoint.tensors.end() ? Tensor() : it->second;
    found += t.defined();
  }
  if (checkpoint.tensors.size() > found)
    for (const auto& [name, t] : checkpoint.tensors) {
      const bool known = std::any_of(state.optimizer.begin(), state.optimizer.end(),
                                     [&own = name](const auto& entry) { return kTensorPrefix + entry.first == own; });
      VEIL_CHECK(name.rfind(kTensorPrefix, 0) != 0 || known)
          << "checkpoint " << path << " holds the tensor '" << name << "', which is neither a buffer of this "
          << target.kind() << " optimizer nor a model tensor";
    }
  if (!dp) return state;
  const std::string& text = field(checkpoint, path, "privacy_ledger");
  try {
    state.ledger = privacy::PrivacyLedger::from_string(text);
  } catch (const Error& error) {
    throw Error("checkpoint " + path + " holds an unreadable privacy ledger: " + error.what());
  }
  VEIL_CHECK(state.ledger->total_steps() == state.steps)
      << "checkpoint " << path << " is inconsistent: its privacy ledger holds " << state.ledger->total_steps()
      << " steps but it was written at step " << state.steps;
  return state;
}

}  // namespace veil
