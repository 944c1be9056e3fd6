#include "veil/layers/sample_conv_net.h"

#include "veil/autograd/ops.h"

namespace veil {

namespace {
const Conv2dGeometry kPool2Stride1{2, 2, 1, 1, 0, 0, 1, 1};
}

SampleConvNet::SampleConvNet(std::uint64_t seed) : Module("SampleConvNet") {
  // Each layer gets its own seed so that its initialisation is independent.
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(1, 16, 8, seed * 4 + 0, /*stride=*/2, /*padding=*/3));
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(16, 32, 4, seed * 4 + 1, /*stride=*/2));
  fc1_ = register_module("fc1", std::make_shared<Linear>(32 * 4 * 4, 32, seed * 4 + 2));
  fc2_ = register_module("fc2", std::make_shared<Linear>(32, 10, seed * 4 + 3));
}

Tensor SampleConvNet::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 4 && input.size(1) == 1 && input.size(2) == 28 && input.size(3) == 28)
      << "SampleConvNet expects [B, 1, 28, 28] images, got " << input.shape();
  Tensor x = max_pool2d(relu((*conv1_)(input)), kPool2Stride1);
  x = max_pool2d(relu((*conv2_)(x)), kPool2Stride1);
  x = relu((*fc1_)(x.flatten(1)));
  return (*fc2_)(x);
}

}  // namespace veil
