#include "veil/core/conv_geometry.h"

#include "veil/core/error.h"

namespace veil {

namespace {

// Zero or negative kernel sizes, strides or dilations would divide by zero
// (stride) or produce meaningless windows.
void check_geometry(const Conv2dGeometry& g) {
  VEIL_CHECK(g.kernel_h > 0 && g.kernel_w > 0 && g.stride_h > 0 && g.stride_w > 0 && g.dilation_h > 0 &&
             g.dilation_w > 0 && g.pad_h >= 0 && g.pad_w >= 0)
      << "bad convolution geometry: kernel " << g.kernel_h << "x" << g.kernel_w << ", stride " << g.stride_h << "x"
      << g.stride_w << ", padding " << g.pad_h << "x" << g.pad_w << ", dilation " << g.dilation_h << "x"
      << g.dilation_w << " (kernel, stride and dilation must be positive, padding non-negative)";
}

}  // namespace

std::int64_t Conv2dGeometry::out_h(std::int64_t in_h) const {
  check_geometry(*this);
  const std::int64_t span = dilation_h * (kernel_h - 1) + 1;
  VEIL_CHECK(in_h + 2 * pad_h >= span) << "input height " << in_h << " (padding " << pad_h
                                       << ") is smaller than the kernel span " << span;
  return (in_h + 2 * pad_h - span) / stride_h + 1;
}

std::int64_t Conv2dGeometry::out_w(std::int64_t in_w) const {
  check_geometry(*this);
  const std::int64_t span = dilation_w * (kernel_w - 1) + 1;
  VEIL_CHECK(in_w + 2 * pad_w >= span) << "input width " << in_w << " (padding " << pad_w
                                       << ") is smaller than the kernel span " << span;
  return (in_w + 2 * pad_w - span) / stride_w + 1;
}

}  // namespace veil
