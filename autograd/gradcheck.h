#pragma once
// Numerical gradient checking (central differences in float64).
//
// gradcheck(fn, inputs) compares, for every input that requires grad, the
// gradient that backward() gives for the scalar L = sum(fn(inputs) * W),
// with W a fixed random weighting, against (L(x + eps) - L(x - eps)) / 2eps
// for each element. Inputs must be float64 CPU tensors. Elements within eps
// of a kink (ReLU at 0, a max-pool tie) can be skipped by the caller by
// choosing inputs away from them.
#include <functional>
#include <string>
#include <vector>

#include "veil/core/tensor.h"

namespace veil::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-4;
  std::uint64_t seed = 1234;  // for the output weighting W
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string report;  // names the first mismatching input and element
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace veil::autograd
