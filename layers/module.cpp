#include "veil/layers/module.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"

namespace veil {

Tensor& Module::register_parameter(const std::string& name, Tensor tensor) {
  VEIL_CHECK(tensor.defined()) << type_name_ << ": parameter '" << name << "' is undefined";
  for (const auto& [existing, t] : parameters_)
    VEIL_CHECK(existing != name) << type_name_ << ": parameter '" << name << "' registered twice";
  tensor.set_requires_grad(true);
  parameters_.emplace_back(name, std::move(tensor));
  return parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor tensor) {
  buffers_.emplace_back(name, std::move(tensor));
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  VEIL_CHECK(module != nullptr) << type_name_ << ": child module '" << name << "' is null";
  VEIL_CHECK(name.find('.') == std::string::npos) << "module names cannot contain '.': " << name;
  for (const auto& [existing, m] : children_)
    VEIL_CHECK(existing != name) << type_name_ << ": child module '" << name << "' registered twice";
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>* params,
                     std::vector<std::pair<std::string, Tensor>>* buffers,
                     std::unordered_set<const TensorImpl*>* seen) const {
  // A tensor shared by several modules is listed once, under its first name.
  const auto keep = [seen](const Tensor& t) { return seen->insert(t.impl()).second; };
  if (params)
    for (const auto& [name, t] : parameters_)
      if (keep(t)) params->emplace_back(prefix + name, t);
  if (buffers)
    for (const auto& [name, t] : buffers_)
      if (keep(t)) buffers->emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", params, buffers, seen);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::unordered_set<const TensorImpl*> seen;
  collect("", &out, nullptr, &seen);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::unordered_set<const TensorImpl*> seen;
  collect("", nullptr, &out, &seen);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const auto& [name, child] : children_) {
    out.emplace_back(name, child);
    for (auto& [sub, m] : child->named_modules()) out.emplace_back(name + "." + sub, m);
  }
  return out;
}

std::string Module::to_string() const {
  std::ostringstream os;
  os << describe();
  for (const auto& [name, child] : named_modules()) {
    const auto depth = std::count(name.begin(), name.end(), '.') + 1;
    os << "\n" << std::string(2 * depth, ' ') << "(" << name.substr(name.rfind('.') + 1) << "): " << child->describe();
  }
  return os.str();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) p.set_grad(Tensor());
  for (PerSampleLayer* layer : per_sample_layers()) layer->clear_per_sample();
}

StateDict Module::state_dict() const {
  StateDict state;
  NoGradGuard no_grad;
  for (const auto& [name, t] : named_parameters()) state[name] = t.detach().clone();
  for (const auto& [name, t] : named_buffers()) state[name] = t.detach().clone();
  return state;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  auto entries = named_parameters();
  for (auto& entry : named_buffers()) entries.push_back(entry);
  std::size_t used = 0;
  for (auto& [name, t] : entries) {
    auto it = state.find(name);
    if (it == state.end()) {
      VEIL_CHECK(!strict) << "load_state_dict: '" << name << "' missing from the state";
      continue;
    }
    VEIL_CHECK(it->second.shape() == t.shape() && it->second.dtype() == t.dtype())
        << "load_state_dict: '" << name << "' has shape " << it->second.shape() << " " << it->second.dtype()
        << ", the model expects " << t.shape() << " " << t.dtype();
    Tensor target = t;
    target.copy_(it->second);
    ++used;
  }
  VEIL_CHECK(!strict || used == state.size())
      << "load_state_dict: the state has " << state.size() - used << " entries the model does not know";
}

namespace {

// Puts `replacement`'s data under t's existing handle, so that everyone
// holding t (optimizers, the layer itself) sees the change.
void replace_data(Tensor& t, const Tensor& replacement) {
  t.impl()->storage = replacement.storage();
  t.impl()->offset = replacement.offset();
  t.impl()->strides = replacement.strides();
  t.impl()->dtype = replacement.dtype();
  t.set_grad(Tensor());
}

}  // namespace

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [name, t] : parameters_)
    if (t.device() != device) replace_data(t, t.detach().to(device));
  for (auto& [name, t] : buffers_)
    if (t.device() != device) replace_data(t, t.detach().to(device));
  for (auto& [name, child] : children_) child->to(device);
}

void Module::to(DType dtype) {
  NoGradGuard no_grad;
  for (auto& [name, t] : parameters_)
    if (t.dtype() != dtype) replace_data(t, t.detach().to(dtype));
  for (auto& [name, t] : buffers_)
    if (is_floating(t.dtype()) && t.dtype() != dtype) replace_data(t, t.detach().to(dtype));
  for (auto& [name, child] : children_) child->to(dtype);
}

void Module::set_per_sample(const PerSampleConfig& config) {
  per_sample_ = config;
  for (auto& [name, child] : children_) child->set_per_sample(config);
}

std::vector<PerSampleLayer*> Module::per_sample_layers() {
  std::vector<PerSampleLayer*> out;
  // Parameter-free instances (LayerNorm / GroupNorm without affine) have
  // nothing to clip, and their backward may never run (an input that needs
  // no gradient): listing them would make clipping wait for a record that
  // never comes.
  // A layer object registered twice in the tree is listed once.
  const auto add = [&out](PerSampleLayer* layer) {
    if (std::find(out.begin(), out.end(), layer) == out.end()) out.push_back(layer);
  };
  if (auto* self = dynamic_cast<PerSampleLayer*>(this); self && !self->per_sample_parameters().empty()) add(self);
  for (auto& [name, child] : children_)
    for (PerSampleLayer* layer : child->per_sample_layers()) add(layer);
  return out;
}

}  // namespace veil
