#include "veil/layers/conv1d.h"

namespace veil {

Conv1d::Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
               std::int64_t stride, std::int64_t padding, std::int64_t dilation, std::int64_t groups, bool bias)
    : Conv2d("Conv1d", in_channels, out_channels, {1, kernel, 1, stride, 0, padding, 1, dilation, groups, bias}, seed,
             {out_channels, groups > 0 ? in_channels / groups : 0, kernel}) {}

Tensor Conv1d::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 3) << describe() << " expects input [B, C, T], got " << input.shape();
  const Tensor y = Conv2d::forward(input.reshape({input.size(0), input.size(1), 1, input.size(2)}));
  return y.reshape({y.size(0), y.size(1), y.size(3)});
}

}  // namespace veil
