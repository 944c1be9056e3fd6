#pragma once
// Module: the base of every layer and model.
//
// A module owns named parameters (trainable tensors), named buffers
// (state saved with the model but not trained) and named child modules.
// Names compose with dots: "conv1.weight". Custom models are written by
// deriving from Module, registering children in the constructor and
// overriding forward():
//
//   struct Net : Module {
//     std::shared_ptr<Linear> fc1 = register_module("fc1", std::make_shared<Linear>(784, 32, 1));
//     std::shared_ptr<Linear> fc2 = register_module("fc2", std::make_shared<Linear>(32, 10, 2));
//     Net() : Module("Net") {}
//     Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x.flatten(1)))); }
//   };
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/layers/per_sample.h"

namespace veil {

using StateDict = std::map<std::string, Tensor>;

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input) { return forward(input); }

  // The layer's kind ("Linear", "Conv2d", ...), used in messages.
  const std::string& type_name() const { return type_name_; }
  // One line describing the configuration, e.g. "Linear(in=512, out=32)".
  virtual std::string describe() const { return type_name_ + "()"; }
  // The module tree, one line per module, indented by depth.
  std::string to_string() const;

  // Parameters of this module and all descendants, in registration order. A
  // tensor registered by several modules (shared weights) is listed once,
  // under the first name the walk meets.
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules() const;  // descendants
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  std::int64_t num_parameters() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Drops every parameter's .grad and any per-sample record.
  void zero_grad();

  // name -> tensor (copies), and back; load checks names, shapes and dtypes.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state, bool strict = true);

  // Moves parameters and buffers to `device` in place (the handles stay
  // valid; their storage changes).
  void to(Device device);
  // Converts floating-point parameters and buffers to `dtype` in place
  // (float64 for gradient checks).
  void to(DType dtype);

  // Per-sample gradient recording for DP, set on the whole tree.
  void set_per_sample(const PerSampleConfig& config);
  const PerSampleConfig& per_sample_config() const { return per_sample_; }
  // Modules in this tree whose parameters produce per-sample gradients, each
  // once.
  std::vector<PerSampleLayer*> per_sample_layers();

 protected:
  Tensor& register_parameter(const std::string& name, Tensor tensor);
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>* params,
               std::vector<std::pair<std::string, Tensor>>* buffers,
               std::unordered_set<const TensorImpl*>* seen) const;

  std::string type_name_;
  bool training_ = true;
  PerSampleConfig per_sample_;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace veil
