#pragma once
// The window geometry shared by convolution and pooling (NCHW): kernel,
// stride, padding and dilation per spatial dimension.
#include <cstdint>

namespace veil {

struct Conv2dGeometry {
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;

  std::int64_t out_h(std::int64_t in_h) const;
  std::int64_t out_w(std::int64_t in_w) const;
};

}  // namespace veil
