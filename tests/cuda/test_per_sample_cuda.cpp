// The CUDA per-sample table against the CPU's: norms, scaling, weighted
// sums (with dropped, non-finite examples) and the Gram-matrix ghost norms.
#include <catch2/catch.hpp>

#include <limits>

#include "support/cuda_agreement.h"
#include "veil/core/per_sample_kernels.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Coefficients with a zero in place of an example whose block holds NaN.
Tensor coefficients_dropping(std::int64_t batch, std::int64_t dropped) {
  std::vector<double> c = rand({batch}, 30, DType::Float64, 0.1, 1.0).to_vector<double>();
  c[dropped] = 0.0;
  return Tensor::from_vector<double>(c, {batch});
}

Tensor with_nan_example(const Tensor& x, std::int64_t example) {
  Tensor y = x.clone();
  y.slice(0, example, example + 1).fill_(std::numeric_limits<double>::quiet_NaN());
  return y;
}

}  // namespace

TEST_CASE("CUDA row_sq_norms agrees with the CPU's float64 sums", "[cuda][per_sample]") {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = rand({13, 5, 301}, 1, dtype);
    require_agrees(row_sq_norms_kernel(x.to(g)), row_sq_norms_kernel(x), 1e-10, 1e-12);
  }
}

TEST_CASE("CUDA scale_rows and weighted_row_sum drop zero-coefficient examples", "[cuda][per_sample]") {
  const Device g = gpu();
  const Tensor x = with_nan_example(rand({9, 4, 50}, 2, DType::Float32), 3);
  const Tensor c = coefficients_dropping(9, 3);
  require_agrees(scale_rows_kernel(x.to(g), c.to(g)), scale_rows_kernel(x, c), 0.0);
  require_agrees(weighted_row_sum_kernel(x.to(g), c.to(g)), weighted_row_sum_kernel(x, c), 1e-6, 1e-6);
}

TEST_CASE("CUDA keep_mask and sum_positions agree with the CPU, any_zero reads nothing back", "[cuda][per_sample]") {
  const Device g = gpu();
  const Tensor c = coefficients_dropping(7, 5);
  require_agrees(keep_mask_kernel(c.to(g)), keep_mask_kernel(c), 0.0);
  // The GPU answers "maybe" without a host read (Note [Host reads]).
  REQUIRE(any_zero_kernel(c.to(g)));
  REQUIRE(any_zero_kernel(Tensor::ones({7}, DType::Float64, g)));
  const Tensor x = rand({6, 40, 11}, 3, DType::Float32);
  require_agrees(sum_positions_kernel(x.to(g)), sum_positions_kernel(x), 1e-6, 1e-6);
}

TEST_CASE("CUDA gram_sq_norms agrees with the CPU across chunks and groups", "[cuda][per_sample]") {
  const Device g = gpu();
  // 70 examples span two chunks of the GPU workspace.
  for (std::int64_t groups : {1, 2}) {
    INFO("groups " << groups);
    const Tensor rows = rand({70, 12, groups * 9}, 4, DType::Float64);
    const Tensor grads = rand({70, 12, groups * 5}, 5, DType::Float64);
    Tensor workspace_cpu, workspace_gpu;
    const Tensor expected = gram_sq_norms_kernel(groups, rows, grads, workspace_cpu);
    const Tensor got = gram_sq_norms_kernel(groups, rows.to(g), grads.to(g), workspace_gpu);
    require_agrees(got, expected, 1e-10, 1e-12);
    // The workspace is kept: a second call reuses it.
    const Tensor kept = workspace_gpu;
    require_agrees(gram_sq_norms_kernel(groups, rows.to(g), grads.to(g), workspace_gpu), expected, 1e-10, 1e-12);
    REQUIRE(workspace_gpu.is_same(kept));
  }
}
