#include "veil/layers/activations.h"

#include "veil/autograd/ops.h"

namespace veil {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Tanh::forward(const Tensor& input) { return tanh(input); }

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

}  // namespace veil
