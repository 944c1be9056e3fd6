#include "veil/layers/per_sample.h"

#include "veil/core/error.h"
#include "veil/layers/module.h"

namespace veil {

const char* grad_sample_mode_name(GradSampleMode mode) {
  switch (mode) {
    case GradSampleMode::Off: return "off";
    case GradSampleMode::Materialize: return "materialize";
    case GradSampleMode::Ghost: return "ghost";
    case GradSampleMode::Auto: return "auto";
  }
  return "unknown";
}

GradSampleMode parse_grad_sample_mode(const std::string& text) {
  for (auto mode : {GradSampleMode::Off, GradSampleMode::Materialize, GradSampleMode::Ghost, GradSampleMode::Auto})
    if (text == grad_sample_mode_name(mode)) return mode;
  VEIL_FAIL() << "unknown per-sample gradient mode '" << text << "' (expected off, materialize, ghost or auto)";
  return GradSampleMode::Off;
}

GradSampleMode choose_route(GradSampleMode requested, std::int64_t positions, std::int64_t in, std::int64_t out,
                            double materialized_bytes) {
  if (requested != GradSampleMode::Auto) return requested;
  if (materialized_bytes > static_cast<double>(kMaxMaterializedBytes)) return GradSampleMode::Ghost;
  return ghost_cost(positions, in, out) < materialize_cost(positions, in, out) ? GradSampleMode::Ghost
                                                                                : GradSampleMode::Materialize;
}

std::string describe_layer(const PerSampleLayer& layer) {
  const auto* module = dynamic_cast<const Module*>(&layer);
  return module ? module->describe() : std::string("layer");
}

void check_same_backward_pass(std::uint64_t recorded, std::uint64_t incoming, const std::string& layer) {
  VEIL_CHECK(recorded == incoming)
      << layer << " ran backward twice before its per-sample gradients were consumed; clip the first micro-batch "
      << "(DPOptimizer::accumulate_microbatch) or step before the next backward pass";
}

}  // namespace veil
