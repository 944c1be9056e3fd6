#pragma once
// Optimizers over a list of parameters: SGD (momentum, weight decay,
// Nesterov), Adam and AdamW, with the update rules of PyTorch's torch.optim.
// step() reads each parameter's .grad (parameters without one are skipped)
// and updates the data in place. Their state (momentum buffers, Adam moments,
// step count) is exposed for checkpoints.
#include <memory>
#include <string>
#include <vector>

#include "veil/core/tensor.h"

namespace veil {

using OptimizerState = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> parameters);
  virtual ~Optimizer() = default;

  virtual void step() = 0;
  virtual std::string describe() const = 0;
  // Drops every parameter's .grad.
  void zero_grad();
  const std::vector<Tensor>& parameters() const { return parameters_; }
  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }

  // kind() names the optimizer in checkpoints ("sgd", "adam", "adamw"): a
  // state loads only into an optimizer of the same kind.
  virtual std::string kind() const = 0;
  virtual OptimizerState state() const = 0;
  // Throws veil::Error, changing nothing, when a tensor is missing where one
  // is required or its shape or dtype differs from its parameter's.
  virtual void load_state(const OptimizerState& state) = 0;

 protected:
  std::vector<Tensor> parameters_;
  double lr_ = 0.0;
};

struct SGDOptions {
  double lr = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
};

class SGD final : public Optimizer {
 public:
  SGD(std::vector<Tensor> parameters, const SGDOptions& options);
  void step() override;
  std::string describe() const override;
  std::string kind() const override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_;  // undefined until the first step
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  // true: AdamW
};

class Adam final : public Optimizer {
 public:
  Adam(std::vector<Tensor> parameters, const AdamOptions& options);
  void step() override;
  std::string describe() const override;
  std::string kind() const override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;

 private:
  AdamOptions options_;
  std::int64_t steps_ = 0;
  std::vector<Tensor> m_, v_;
};

// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter).
std::unique_ptr<Adam> make_adamw(std::vector<Tensor> parameters, AdamOptions options);

}  // namespace veil
