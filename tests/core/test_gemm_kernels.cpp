// The GEMM kernel table (core/gemm.h): products of column-block views,
// batched products, the convolution's A B^T and the grouped weight-gradient
// sum, each against matmul of copies.
#include <catch2/catch.hpp>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/gemm.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("gemm reads column blocks of wider matrices in place", "[gemm]") {
  const Tensor a = rand({7, 10}, 1), b = rand({7, 12}, 2);
  // op(A) = A[:, 2:7]^T is [5, 7]; op(B) = B[:, 3:9] is [7, 6].
  const Tensor a_block = last_dim_block(a, 2, 5), b_block = last_dim_block(b, 3, 6);
  Tensor c = rand({5, 6}, 3);
  const Tensor c0 = c.clone();
  gemm(true, false, 2.0, a_block, b_block, 0.5, c);
  const Tensor expected = add(mul_scalar(matmul(a_block.contiguous().transpose(0, 1), b_block.contiguous()), 2.0),
                              mul_scalar(c0, 0.5));
  require_same(c, expected, 1e-12);
  REQUIRE_THROWS_AS(gemm(false, false, 1.0, a_block, b_block, 0.0, c), Error);
}

TEST_CASE("batched_gemm multiplies each leading index", "[gemm]") {
  const Tensor a = rand({3, 4, 6}, 4), b = rand({3, 5, 6}, 5);
  Tensor c = Tensor::empty({3, 4, 5}, DType::Float64);
  batched_gemm(false, true, 1.0, a, b, 0.0, c);
  require_same(c, matmul(a, b.transpose(1, 2)), 1e-12);
}

TEST_CASE("gemm_nt matches gemm, with and without the narrow-N kernel", "[gemm]") {
  for (std::int64_t n : {16, 32, 7}) {
    const Tensor a = rand({37, 9}, 6), b = rand({n, 9}, 7);
    Tensor c = Tensor::empty({37, n}, DType::Float64);
    gemm_nt(a, b, c);
    require_same(c, matmul(a, b.transpose(0, 1)), 1e-12);
  }
}

TEST_CASE("grouped_gemm_tn_rows adds each group's A^T B over all rows", "[gemm]") {
  // k = 4 takes the general GEMM, k = 16 (float64: two vectors) the
  // in-place kernel; 3000 rows make several row chunks.
  for (const auto& [rows, k] : {std::pair<std::int64_t, std::int64_t>{300, 4}, {3000, 4}, {3000, 16}, {7, 16}}) {
    INFO("rows " << rows << " k " << k);
    const std::int64_t groups = 2, m = 3;
    const Tensor a = rand({rows, groups * m}, 8), b = rand({rows, groups * k}, 9);
    Tensor c = rand({groups * m, k}, 10);
    const Tensor c0 = c.clone();
    grouped_gemm_tn_rows(groups, a, b, c);
    for (std::int64_t g = 0; g < groups; ++g) {
      const Tensor expected = add(c0.slice(0, g * m, (g + 1) * m),
                                  matmul(last_dim_block(a, g * m, m).contiguous().transpose(0, 1),
                                         last_dim_block(b, g * k, k).contiguous()));
      require_same(c.slice(0, g * m, (g + 1) * m), expected, 1e-10);
    }
  }
}
