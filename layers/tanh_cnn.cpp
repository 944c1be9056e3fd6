#include "veil/layers/tanh_cnn.h"

#include "veil/autograd/ops.h"

namespace veil {

namespace {
const Conv2dGeometry kPool2Stride1{2, 2, 1, 1, 0, 0, 1, 1};
}

TanhCnn::TanhCnn(const TanhCnnOptions& options, std::uint64_t seed) : Module("TanhCnn"), options_(options) {
  VEIL_CHECK(options.width >= 1) << "TanhCnn width must be at least 1, got " << options.width;
  VEIL_CHECK(options.groups >= 0 && (options.groups == 0 || (16 * options.width) % options.groups == 0))
      << "TanhCnn GroupNorm groups must divide the " << 16 * options.width << " channels of conv1, got "
      << options.groups;
  const std::int64_t c1 = 16 * options.width, c2 = 32 * options.width;
  // Each layer gets its own seed so that its initialisation is independent.
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(1, c1, 8, seed * 4 + 0, /*stride=*/2, /*padding=*/3));
  if (options.groups > 0) norm1_ = register_module("norm1", std::make_shared<GroupNorm>(options.groups, c1));
  conv2_ = register_module("conv2", std::make_shared<Conv2d>(c1, c2, 4, seed * 4 + 1, /*stride=*/2));
  if (options.groups > 0) norm2_ = register_module("norm2", std::make_shared<GroupNorm>(options.groups, c2));
  fc1_ = register_module("fc1", std::make_shared<Linear>(c2 * 4 * 4, 32, seed * 4 + 2));
  fc2_ = register_module("fc2", std::make_shared<Linear>(32, 10, seed * 4 + 3));
}

std::string TanhCnn::describe() const {
  return "TanhCnn(width=" + std::to_string(options_.width) + ", groups=" + std::to_string(options_.groups) + ")";
}

Tensor TanhCnn::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 4 && input.size(1) == 1 && input.size(2) == 28 && input.size(3) == 28)
      << "TanhCnn expects [B, 1, 28, 28] images, got " << input.shape();
  Tensor x = (*conv1_)(input);
  if (norm1_) x = (*norm1_)(x);
  x = max_pool2d(tanh(x), kPool2Stride1);
  x = (*conv2_)(x);
  if (norm2_) x = (*norm2_)(x);
  x = max_pool2d(tanh(x), kPool2Stride1);
  x = tanh((*fc1_)(x.flatten(1)));
  return (*fc2_)(x);
}

}  // namespace veil
