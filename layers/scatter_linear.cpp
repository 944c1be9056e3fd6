#include "veil/layers/scatter_linear.h"

namespace veil {

ScatterLinear::ScatterLinear(const ScatterLinearOptions& options, std::uint64_t seed)
    : Module("ScatterLinear"), options_(options) {
  VEIL_CHECK(options.channels >= 1 && options.height >= 1 && options.width >= 1 && options.classes >= 1)
      << "ScatterLinear: channels, height, width and classes must be positive, got " << options.channels << ", "
      << options.height << ", " << options.width << ", " << options.classes;
  VEIL_CHECK(options.groups >= 0 && (options.groups == 0 || options.channels % options.groups == 0))
      << "ScatterLinear GroupNorm groups must divide the " << options.channels << " channels, got " << options.groups;
  if (options.groups > 0)
    norm_ = register_module("norm", std::make_shared<GroupNorm>(options.groups, options.channels, 1e-5, false));
  fc_ = register_module(
      "fc", std::make_shared<Linear>(options.channels * options.height * options.width, options.classes, seed));
}

std::string ScatterLinear::describe() const {
  return "ScatterLinear(" + std::to_string(options_.channels) + "x" + std::to_string(options_.height) + "x" +
         std::to_string(options_.width) + ", groups=" + std::to_string(options_.groups) +
         ", classes=" + std::to_string(options_.classes) + ")";
}

Tensor ScatterLinear::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 4 && input.size(1) == options_.channels && input.size(2) == options_.height &&
             input.size(3) == options_.width)
      << "ScatterLinear expects [B, " << options_.channels << ", " << options_.height << ", " << options_.width
      << "] scattering features, got " << input.shape();
  return (*fc_)((norm_ ? (*norm_)(input) : input).flatten(1));
}

}  // namespace veil
