// The CUDA GEMM table (cuBLAS) against the CPU's, on random operands.
#include <catch2/catch.hpp>

#include <limits>

#include "support/cuda_agreement.h"
#include "veil/core/gemm.h"

using namespace veil;
using namespace veil::testing;

namespace {

// float32 products of length K: each term rounds at 2^-24 relative.
constexpr double kFloatTol = 1e-5;

}  // namespace

TEST_CASE("CUDA gemm agrees with the CPU for every transpose and alpha, beta", "[cuda][gemm]") {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const double tol = dtype == DType::Float32 ? kFloatTol : 1e-12;
    for (bool trans_a : {false, true})
      for (bool trans_b : {false, true}) {
        INFO("dtype " << dtype << ", trans_a " << trans_a << ", trans_b " << trans_b);
        const std::int64_t m = 37, n = 19, k = 53;
        const Tensor a = rand(trans_a ? Shape{k, m} : Shape{m, k}, 1, dtype);
        const Tensor b = rand(trans_b ? Shape{n, k} : Shape{k, n}, 2, dtype);
        Tensor c = rand({m, n}, 3, dtype);
        const Tensor cg = c.to(g);
        gemm(trans_a, trans_b, 0.5, a.to(g), b.to(g), 2.0, cg);
        gemm(trans_a, trans_b, 0.5, a, b, 2.0, c);
        require_agrees(cg, c, tol, tol);
      }
  }
}

TEST_CASE("CUDA gemm reads column blocks and single rows through their strides", "[cuda][gemm]") {
  const Device g = gpu();
  const Tensor wide = rand({12, 30}, 4, DType::Float32);
  const Tensor b = rand({10, 7}, 5, DType::Float32);
  // A column block (leading dimension 30) and a one-row transposed column.
  Tensor c = Tensor::zeros({12, 7}, DType::Float32);
  const Tensor cg = c.to(g);
  gemm(false, false, 1.0, last_dim_block(wide.to(g), 10, 10), b.to(g), 0.0, cg);
  gemm(false, false, 1.0, last_dim_block(wide, 10, 10), b, 0.0, c);
  require_agrees(cg, c, kFloatTol, kFloatTol);
  const Tensor column = rand({10, 1}, 6, DType::Float32);
  Tensor row = Tensor::zeros({1, 7}, DType::Float32);
  const Tensor rowg = row.to(g);
  gemm(false, false, 1.0, column.to(g).transpose(0, 1), b.to(g), 0.0, rowg);
  gemm(false, false, 1.0, column.transpose(0, 1), b, 0.0, row);
  require_agrees(rowg, row, kFloatTol, kFloatTol);
}

TEST_CASE("CUDA batched_gemm agrees with the CPU on 3-D views", "[cuda][gemm]") {
  const Device g = gpu();
  for (bool trans_a : {false, true})
    for (bool trans_b : {false, true}) {
      INFO("trans_a " << trans_a << ", trans_b " << trans_b);
      const std::int64_t batch = 9, m = 16, n = 12, k = 25;
      const Tensor a = rand(trans_a ? Shape{batch, k, m} : Shape{batch, m, k}, 7, DType::Float32);
      const Tensor b = rand(trans_b ? Shape{batch, n, k} : Shape{batch, k, n}, 8, DType::Float32);
      Tensor c = Tensor::zeros({batch, m, n}, DType::Float32);
      const Tensor cg = c.to(g);
      batched_gemm(trans_a, trans_b, 1.5, a.to(g), b.to(g), 0.0, cg);
      batched_gemm(trans_a, trans_b, 1.5, a, b, 0.0, c);
      require_agrees(cg, c, kFloatTol, kFloatTol);
    }
  // A batch of column blocks: the per-group view of a grouped convolution.
  const Tensor wide = rand({4, 6, 20}, 9, DType::Float64);
  const Tensor b = rand({4, 8, 5}, 10, DType::Float64);
  Tensor c = Tensor::zeros({4, 6, 5}, DType::Float64);
  const Tensor cg = c.to(g);
  batched_gemm(false, false, 1.0, last_dim_block(wide.to(g), 12, 8), b.to(g), 0.0, cg);
  batched_gemm(false, false, 1.0, last_dim_block(wide, 12, 8), b, 0.0, c);
  require_agrees(cg, c, 1e-12, 1e-12);
}

TEST_CASE("CUDA gemm_nt agrees with the CPU's small-N and general kernels", "[cuda][gemm]") {
  const Device g = gpu();
  for (std::int64_t n : {16, 32, 21}) {
    INFO("N " << n);
    const Tensor a = rand({150, 27}, 11, DType::Float32);
    const Tensor w = rand({n, 27}, 12, DType::Float32);
    Tensor c = Tensor::empty({150, n}, DType::Float32);
    const Tensor cg = Tensor::empty({150, n}, DType::Float32, g);
    gemm_nt(a.to(g), w.to(g), cg);
    gemm_nt(a, w, c);
    require_agrees(cg, c, kFloatTol, kFloatTol);
  }
}

TEST_CASE("CUDA grouped_gemm_tn_rows accumulates every group's weight gradient", "[cuda][gemm]") {
  const Device g = gpu();
  for (std::int64_t groups : {1, 3}) {
    INFO("groups " << groups);
    const std::int64_t rows = 700, m = 4, k = 9;
    const Tensor a = rand({rows, groups * m}, 13, DType::Float32);
    const Tensor b = rand({rows, groups * k}, 14, DType::Float32);
    Tensor c = rand({groups * m, k}, 15, DType::Float32);
    const Tensor cg = c.to(g);
    grouped_gemm_tn_rows(groups, a.to(g), b.to(g), cg);
    grouped_gemm_tn_rows(groups, a, b, c);
    require_agrees(cg, c, 1e-4, kFloatTol);  // sums of 700 products
  }
}

TEST_CASE("CUDA GEMMs over an empty inner dimension give beta c, 0 for beta 0, like the CPU", "[cuda][gemm]") {
  // The summed weight gradient of an empty Poisson batch: C = G^T A over no
  // rows. cuBLAS is not trusted with k = 0; c starts as NaN where beta is 0.
  const Device g = gpu();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double beta : {0.0, 2.0}) {
    INFO("beta " << beta);
    const auto start = [&](const Shape& shape) { return beta == 0.0 ? Tensor::full(shape, nan, DType::Float64) : rand(shape, 16); };
    Tensor c = start({4, 3});
    const Tensor cg = c.to(g);
    gemm(true, false, 1.0, Tensor::zeros({0, 4}, DType::Float64, g), Tensor::zeros({0, 3}, DType::Float64, g), beta,
         cg);
    gemm(true, false, 1.0, Tensor::zeros({0, 4}, DType::Float64), Tensor::zeros({0, 3}, DType::Float64), beta, c);
    require_bitwise_agrees(cg, c);
    Tensor batch = start({3, 4, 5});
    const Tensor batch_g = batch.to(g);
    batched_gemm(false, false, 1.0, Tensor::zeros({3, 4, 0}, DType::Float64, g),
                 Tensor::zeros({3, 0, 5}, DType::Float64, g), beta, batch_g);
    batched_gemm(false, false, 1.0, Tensor::zeros({3, 4, 0}, DType::Float64), Tensor::zeros({3, 0, 5}, DType::Float64),
                 beta, batch);
    require_bitwise_agrees(batch_g, batch);
  }
  // Accumulating no rows leaves the gradient as it was.
  Tensor dw = rand({6, 2}, 17);
  const Tensor dw_g = dw.to(g);
  grouped_gemm_tn_rows(3, Tensor::zeros({0, 6}, DType::Float64, g), Tensor::zeros({0, 6}, DType::Float64, g), dw_g);
  grouped_gemm_tn_rows(3, Tensor::zeros({0, 6}, DType::Float64), Tensor::zeros({0, 6}, DType::Float64), dw);
  require_bitwise_agrees(dw_g, dw);
}
