#include "veil/optim/weight_average.h"

#include <algorithm>

#include "veil/core/error.h"

namespace veil {

WeightAverage::WeightAverage(std::vector<Tensor> parameters, double decay)
    : parameters_(std::move(parameters)), decay_(decay) {
  VEIL_CHECK(decay >= 0 && decay < 1) << "weight average decay must be in [0, 1), got " << decay;
  for (const Tensor& p : parameters_) averages_.push_back(p.detach().clone());
}

void WeightAverage::update() {
  ++updates_;
  const double t = static_cast<double>(updates_);
  const double d = std::min(decay_, (1 + t) / (10 + t));
  for (std::size_t i = 0; i < parameters_.size(); ++i) averages_[i].mul_(d).add_(parameters_[i].detach(), 1 - d);
}

void WeightAverage::swap() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor held = parameters_[i].detach().clone();
    parameters_[i].copy_(averages_[i]);
    averages_[i].copy_(held);
  }
}

}  // namespace veil
