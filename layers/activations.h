#pragma once
// Element-wise activations as modules, for Sequential models. Parameter
// free; any shape; the gradient is the op's own (core/ops.h):
//   ReLU:    y = max(x, 0),          dy/dx = 1 if x > 0 else 0;
//   Tanh:    y = tanh(x),            dy/dx = 1 - y^2;
//   Sigmoid: y = 1 / (1 + exp(-x)),  dy/dx = y (1 - y).
#include "veil/layers/module.h"

namespace veil {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;
};

}  // namespace veil
