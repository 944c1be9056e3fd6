#include "veil/layers/pooling.h"

#include <sstream>

#include "veil/core/error.h"

namespace veil {

Pool2d::Pool2d(std::string type_name, std::int64_t kernel, std::optional<std::int64_t> stride, std::int64_t padding)
    : Module(std::move(type_name)) {
  const std::int64_t step = stride.value_or(kernel);
  VEIL_CHECK(kernel > 0 && step > 0 && padding >= 0 && 2 * padding <= kernel)
      << this->type_name() << "(kernel=" << kernel << ", stride=" << step << ", padding=" << padding
      << "): kernel and stride must be positive and padding at most half the kernel";
  geometry_.kernel_h = geometry_.kernel_w = kernel;
  geometry_.stride_h = geometry_.stride_w = step;
  geometry_.pad_h = geometry_.pad_w = padding;
}

std::string Pool2d::describe() const {
  std::ostringstream os;
  os << type_name() << "(kernel=" << geometry_.kernel_h << ", stride=" << geometry_.stride_h
     << ", padding=" << geometry_.pad_h << ")";
  return os.str();
}

void Pool2d::check_input(const Tensor& input) const {
  VEIL_CHECK(input.dim() == 4) << describe() << " expects [B, C, H, W], got " << input.shape();
}

Tensor MaxPool2d::forward(const Tensor& input) {
  check_input(input);
  return max_pool2d(input, geometry());
}

Tensor AvgPool2d::forward(const Tensor& input) {
  check_input(input);
  return avg_pool2d(input, geometry());
}

}  // namespace veil
