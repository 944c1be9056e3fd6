#pragma once
// Finite-difference check of a module's backward: the gradients of
// L = loss(module(x)) with respect to x and every parameter, against central
// differences. Module and input must be float64.
#include "support/per_sample_check.h"

namespace veil::testing {

struct ModuleGradcheck {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-4;
  bool check_input = true;
};

void check_module_gradients(Module& model, const Tensor& input, const PerExampleLoss& loss,
                            const ModuleGradcheck& options = {});

}  // namespace veil::testing
