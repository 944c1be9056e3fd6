#pragma once
// Tensor comparisons (not differentiable), for tests and checks.
#include "veil/core/tensor.h"

namespace veil {

// Largest |a - b|, both converted to double; shapes must match.
double max_abs_diff(const Tensor& a, const Tensor& b);
// True when every |a - b| <= atol + rtol * |b|.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace veil
