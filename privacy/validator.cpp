#include "veil/privacy/validator.h"

#include <algorithm>
#include <sstream>

#include "veil/core/error.h"
#include "veil/layers/batch_norm.h"

namespace veil {

namespace {

// The problem with one module on its own (not its children), or "".
std::string module_problem(const Module& module) {
  if (dynamic_cast<const BatchNorm2d*>(&module))
    return "BatchNorm2d mixes examples within a batch and breaks per-sample privacy; replace it with GroupNorm";
  const auto* layer = dynamic_cast<const PerSampleLayer*>(&module);
  const std::vector<Tensor> covered = layer ? layer->per_sample_parameters() : std::vector<Tensor>{};
  // Parameter names of descendants carry a dot; the module's own do not.
  for (const auto& [name, param] : module.named_parameters()) {
    if (name.find('.') != std::string::npos || !param.requires_grad()) continue;
    // Captured through an initializer: clang 14 (the fuzz build) cannot capture a structured binding.
    if (std::any_of(covered.begin(), covered.end(), [&own = param](const Tensor& p) { return p.is_same(own); }))
      continue;
    if (!layer)
      return "has parameters (e.g. '" + name + "') but no per-sample gradient rule (it does not implement "
             "PerSampleLayer), so DP-SGD cannot clip its per-example gradients";
    return "registers the trainable parameter '" + name + "' but its per-sample rule (per_sample_parameters) does "
           "not cover it, so it would be updated without clipping";
  }
  return "";
}

void add_problem(std::vector<std::string>* problems, const std::string& path, const Module& module) {
  const std::string problem = module_problem(module);
  if (!problem.empty()) problems->push_back(path + " (" + module.type_name() + "): " + problem);
}

}  // namespace

std::vector<std::string> validate_for_dp(const Module& model) {
  std::vector<std::string> problems;
  add_problem(&problems, "<root>", model);
  for (const auto& [path, module] : model.named_modules()) add_problem(&problems, path, *module);
  return problems;
}

void check_dp_compatible(const Module& model) {
  const std::vector<std::string> problems = validate_for_dp(model);
  std::ostringstream os;
  os << "the model cannot be trained with DP-SGD (" << problems.size() << " problem"
     << (problems.size() == 1 ? "" : "s") << "):";
  for (const std::string& problem : problems) os << "\n  " << problem;
  VEIL_CHECK(problems.empty()) << os.str();
}

}  // namespace veil
