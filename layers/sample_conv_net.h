#pragma once
// SampleConvNet: the model of the Opacus MNIST example.
//   conv1 1->16 k8 s2 p3, ReLU, max-pool 2 stride 1   [B, 16, 13, 13]
//   conv2 16->32 k4 s2,  ReLU, max-pool 2 stride 1    [B, 32, 4, 4]
//   flatten 512, fc1 512->32, ReLU, fc2 32->10        [B, 10] logits
// Input [B, 1, 28, 28].
#include <memory>

#include "veil/layers/conv2d.h"
#include "veil/layers/linear.h"

namespace veil {

class SampleConvNet : public Module {
 public:
  explicit SampleConvNet(std::uint64_t seed);
  Tensor forward(const Tensor& input) override;
  std::string describe() const override { return "SampleConvNet"; }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace veil
