#pragma once
// Small helpers for the tensor-engine tests (tests/core, tests/autograd):
// deterministic random inputs, value comparison with a useful failure
// message, gradcheck with the report in the failure, and the message of an
// expected veil::Error. Header-only so the core tests need nothing else from
// tests/support.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/test_data.h"
#include "veil/autograd/gradcheck.h"
#include "veil/core/error.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

namespace veil::testing {

// Uniform values in [lo, hi) from a fixed seed; `stream` separates inputs.
inline Tensor rand(const Shape& shape, std::uint64_t stream, DType dtype = DType::Float64, double lo = -1.0,
                   double hi = 1.0) {
  return Tensor::uniform(shape, lo, hi, /*seed=*/20240917, stream, dtype);
}

// Uniform values whose magnitude is in [lo, hi) with a random sign: inputs
// kept away from the kink of relu (and from 0 for div).
inline Tensor rand_away_from_zero(const Shape& shape, std::uint64_t stream, double lo = 0.2, double hi = 1.5) {
  auto v = rand(shape, stream, DType::Float64, lo, hi).to_vector<double>();
  auto sign = rand(shape, stream + 1000, DType::Float64, -1.0, 1.0).to_vector<double>();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (sign[i] < 0) v[i] = -v[i];
  return Tensor::from_vector<double>(v, shape);
}

inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Requires t to have `shape` and every element within atol + rtol*|expected|.
inline void require_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected,
                           double atol = 1e-12, double rtol = 0.0) {
  INFO("shape " << shape_string(t.shape()) << ", expected " << shape_string(shape));
  REQUIRE(t.shape() == shape);
  const auto got = values(t);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    REQUIRE(std::fabs(got[i] - expected[i]) <= atol + rtol * std::fabs(expected[i]));
  }
}

inline void require_same(const Tensor& a, const Tensor& b, double atol = 1e-12, double rtol = 0.0) {
  require_values(a, b.shape(), values(b), atol, rtol);
}

// Requires bitwise equal shape and values.
inline void require_identical(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  REQUIRE(a.dtype() == b.dtype());
  const auto va = values(a), vb = values(b);
  for (std::size_t i = 0; i < va.size(); ++i) {
    INFO("element " << i);
    REQUIRE(va[i] == vb[i]);
  }
}

// gradcheck with every input marked requires_grad (unless listed in
// `constant`), failing with the report.
inline void require_gradcheck(const autograd::GradcheckFn& fn, std::vector<Tensor> inputs,
                              const autograd::GradcheckOptions& options = {},
                              const std::vector<std::size_t>& constant = {}) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    bool is_constant = false;
    for (std::size_t c : constant) is_constant |= c == i;
    if (!is_constant && is_floating(inputs[i].dtype())) inputs[i] = inputs[i].detach().set_requires_grad(true);
  }
  const auto result = autograd::gradcheck(fn, inputs, options);
  INFO(result.report << " (max abs error " << result.max_abs_error << ")");
  REQUIRE(result.ok);
}

// error_message(f): the message of the veil::Error f() throws (support/test_data.h).
using testing::error_message;

}  // namespace veil::testing
