// The per-sample kernel table (core/per_sample_kernels.h): Gram-route norms
// against materialised gradients, its reused workspace, and the dropping of
// examples whose coefficient is 0.
#include <catch2/catch.hpp>

#include <limits>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/gemm.h"
#include "veil/core/per_sample_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("gram_sq_norms equals the norms of the materialised products", "[per_sample]") {
  // T = 1 and 3 take the entry-by-entry sum, T = 5 the GEMM route.
  for (const std::int64_t t : {1, 3, 5}) {
    INFO("positions " << t);
    const std::int64_t batch = 4, groups = 2, k = 3, o = 2;
    const Tensor rows = rand({batch, t, groups * k}, 1), grads = rand({batch, t, groups * o}, 2);
    Tensor workspace;
    const Tensor norms = gram_sq_norms_kernel(groups, rows, grads, workspace);
    for (std::int64_t i = 0; i < batch; ++i) {
      double expected = 0.0;
      for (std::int64_t g = 0; g < groups; ++g) {
        const Tensor dw = matmul(last_dim_block(grads, g * o, o).slice(0, i, i + 1).reshape({t, o}).transpose(0, 1),
                                 last_dim_block(rows, g * k, k).slice(0, i, i + 1).reshape({t, k}));
        expected += sum(mul(dw, dw)).item();
      }
      REQUIRE(norms.to_vector<double>()[i] == Approx(expected).epsilon(1e-12));
    }
  }
}

TEST_CASE("gram_sq_norms grows its workspace once and reuses it", "[per_sample]") {
  Tensor workspace;
  gram_sq_norms_kernel(1, rand({2, 6, 3}, 3), rand({2, 6, 4}, 4), workspace);
  const auto storage = workspace.storage();
  gram_sq_norms_kernel(1, rand({3, 4, 3}, 5), rand({3, 4, 4}, 6), workspace);  // fewer positions
  REQUIRE(workspace.storage() == storage);
  gram_sq_norms_kernel(1, rand({2, 9, 3}, 7), rand({2, 9, 4}, 8), workspace);  // more positions
  REQUIRE(workspace.storage() != storage);
}

TEST_CASE("a zero coefficient drops a non-finite example", "[per_sample]") {
  Tensor x = rand({3, 4}, 9);
  x.data<double>()[5] = std::numeric_limits<double>::quiet_NaN();  // example 1
  const Tensor coeffs = Tensor::from_vector<double>({0.5, 0.0, 2.0}, {3});
  const Tensor scaled = scale_rows_kernel(x, coeffs);
  const Tensor total = weighted_row_sum_kernel(x, coeffs);
  const auto v = values(x), s = values(scaled), t = values(total);
  for (std::int64_t j = 0; j < 4; ++j) {
    REQUIRE(s[4 + j] == 0.0);
    REQUIRE(s[j] == 0.5 * v[j]);
    REQUIRE(t[j] == 0.5 * v[j] + 2.0 * v[8 + j]);
  }
  REQUIRE(any_zero_kernel(coeffs));
  REQUIRE_FALSE(any_zero_kernel(Tensor::from_vector<double>({1.0, 2.0}, {2})));
  require_values(keep_mask_kernel(coeffs), {3}, {1.0, 0.0, 1.0});
}
