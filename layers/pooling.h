#pragma once
// 2-d pooling over [B, C, H, W] with a square window (core/ops.h
// max_pool2d / avg_pool2d). Parameter free.
//
//   y [B, C, H_out, W_out],  H_out = (H + 2 padding - kernel) / stride + 1.
// The stride defaults to the kernel size, as in PyTorch; padding may be at
// most half the kernel. MaxPool2d pads with -inf and routes each output's
// gradient to its maximum; AvgPool2d counts padding as zeros and divides
// every window by kernel^2.
#include <optional>

#include "veil/autograd/ops.h"
#include "veil/layers/module.h"

namespace veil {

// The window shared by both pools.
class Pool2d : public Module {
 public:
  std::string describe() const override;
  const Conv2dGeometry& geometry() const { return geometry_; }

 protected:
  Pool2d(std::string type_name, std::int64_t kernel, std::optional<std::int64_t> stride, std::int64_t padding);
  // Checks the input's rank, naming this module in the message.
  void check_input(const Tensor& input) const;

 private:
  Conv2dGeometry geometry_;
};

class MaxPool2d : public Pool2d {
 public:
  explicit MaxPool2d(std::int64_t kernel, std::optional<std::int64_t> stride = std::nullopt, std::int64_t padding = 0)
      : Pool2d("MaxPool2d", kernel, stride, padding) {}
  Tensor forward(const Tensor& input) override;
};

class AvgPool2d : public Pool2d {
 public:
  explicit AvgPool2d(std::int64_t kernel, std::optional<std::int64_t> stride = std::nullopt, std::int64_t padding = 0)
      : Pool2d("AvgPool2d", kernel, stride, padding) {}
  Tensor forward(const Tensor& input) override;
};

}  // namespace veil
