#pragma once
// Flatten: merges dimensions start_dim..end_dim into one (a view when the
// input is contiguous). The default keeps the batch dimension:
// [B, C, H, W] -> [B, C*H*W]. Parameter free.
#include "veil/layers/module.h"

namespace veil {

class Flatten : public Module {
 public:
  explicit Flatten(int start_dim = 1, int end_dim = -1);
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

 private:
  int start_dim_, end_dim_;
};

}  // namespace veil
