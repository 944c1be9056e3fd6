#pragma once
// WeightAverage: an exponential moving average of parameters (Polyak
// averaging, as in De et al. 2022, "Unlocking high-accuracy differentially
// private image classification through scale"). Evaluating the averaged
// weights is post-processing of the released iterates, so under DP it costs
// no privacy; it smooths out the noise of the last steps.
//
// After the t-th update (t = 1, 2, ...), with d_t = min(decay, (1 + t) / (10 + t)):
//   average = d_t * average + (1 - d_t) * parameter,
// the warm-up d_t keeps the first updates from being dominated by the
// initial weights. swap() exchanges the averages and the parameters' data
// (call it before and after an evaluation). Tensors on any device, any dtype.
#include <cstdint>
#include <vector>

#include "veil/core/tensor.h"

namespace veil {

class WeightAverage {
 public:
  // decay in [0, 1); the averages start as copies of the parameters.
  WeightAverage(std::vector<Tensor> parameters, double decay);

  void update();
  void swap();

  std::int64_t updates() const { return updates_; }
  double decay() const { return decay_; }
  const std::vector<Tensor>& averages() const { return averages_; }

 private:
  std::vector<Tensor> parameters_, averages_;
  double decay_;
  std::int64_t updates_ = 0;
};

}  // namespace veil
