// CUDA normalisation statistics, their backward, the affine map and its
// per-example gradients, and BatchNorm's running statistics, against the CPU.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/normalization_kernels.h"

using namespace veil;
using namespace veil::testing;
using namespace veil::normalization;

TEST_CASE("CUDA normalize_rows and its backward agree with the CPU", "[cuda][normalization]") {
  const Device g = gpu();
  for (std::int64_t rows : {12, 1}) {  // LayerNorm-like and BatchNorm-like widths
    INFO("rows " << rows);
    const Tensor x = rand({12, 5, 70}, 1, DType::Float32, -3.0, 5.0);
    const RowStats cpu = normalize_rows(x, rows, 1e-5);
    const RowStats cuda = normalize_rows(x.to(g), rows, 1e-5);
    require_agrees(cuda.x_hat, cpu.x_hat, 1e-5, 1e-5);
    require_agrees(cuda.mean, cpu.mean, 1e-10, 1e-10);
    require_agrees(cuda.var, cpu.var, 1e-10, 1e-10);
    require_agrees(cuda.rstd, cpu.rstd, 1e-10, 1e-10);
    const Tensor gx_hat = rand(x.shape(), 2, DType::Float32);
    require_agrees(normalize_rows_backward(gx_hat.to(g), cuda, rows), normalize_rows_backward(gx_hat, cpu, rows),
                   1e-5, 1e-5);
  }
}

TEST_CASE("CUDA affine map and per-example affine gradients agree with the CPU", "[cuda][normalization]") {
  const Device g = gpu();
  const AffineLayout layout{4, 3, 6, 25};
  const Tensor x = rand({4, 3, 6, 25}, 3, DType::Float64);
  const Tensor gamma = rand({6}, 4, DType::Float64), beta = rand({6}, 5, DType::Float64);
  require_agrees(apply_affine(x.to(g), gamma.to(g), beta.to(g), layout), apply_affine(x, gamma, beta, layout), 1e-15);
  require_agrees(apply_affine(x.to(g), gamma.to(g), Tensor(), layout), apply_affine(x, gamma, Tensor(), layout), 1e-15);
  const Tensor grad = rand(x.shape(), 6, DType::Float64);
  const AffineGradSamples cpu = affine_grad_samples(grad, x, layout);
  const AffineGradSamples cuda = affine_grad_samples(grad.to(g), x.to(g), layout);
  require_agrees(cuda.gamma, cpu.gamma, 1e-12, 1e-12);
  require_agrees(cuda.beta, cpu.beta, 1e-12, 1e-12);
}

TEST_CASE("CUDA running statistics and their eval-mode affine map agree with the CPU", "[cuda][normalization]") {
  const Device g = gpu();
  const Tensor x = rand({3, 200}, 7, DType::Float32);
  const RowStats stats = normalize_rows(x, 3, 1e-5);
  Tensor mean = rand({3}, 8, DType::Float32), var = rand({3}, 9, DType::Float32, 0.5, 2.0);
  const Tensor mean_gpu = mean.to(g), var_gpu = var.to(g);
  update_running_stats(stats, 200, 0.1, mean, var);
  update_running_stats(normalize_rows(x.to(g), 3, 1e-5), 200, 0.1, mean_gpu, var_gpu);
  require_agrees(mean_gpu, mean, 1e-7, 1e-6);
  require_agrees(var_gpu, var, 1e-7, 1e-6);
  const ChannelAffine cpu = running_stats_affine(mean, var, 1e-5);
  const ChannelAffine cuda = running_stats_affine(mean_gpu, var_gpu, 1e-5);
  require_agrees(cuda.scale, cpu.scale, 1e-6, 1e-6);
  require_agrees(cuda.shift, cpu.shift, 1e-6, 1e-6);
}

TEST_CASE("CUDA normalisation refuses a weight or running statistics left on the CPU", "[cuda][normalization]") {
  // A module not moved to the GPU: the kernel would read CPU pointers.
  const Device g = gpu();
  const Tensor x = rand({2, 3, 4}, 10, DType::Float32).to(g);
  const Tensor weight = rand({3}, 11, DType::Float32);
  const AffineLayout layout{2, 1, 3, 4};
  REQUIRE_THAT(error_message([&] { apply_affine(x, weight, Tensor(), layout); }),
               Catch::Contains("normalisation weight on cpu for data on cuda:0"));
  REQUIRE_THAT(error_message([&] { apply_affine(x, weight.to(g), weight, layout); }),
               Catch::Contains("normalisation bias on cpu for data on cuda:0"));
  const RowStats stats = normalize_rows(x, 2, 1e-5);
  REQUIRE_THAT(error_message([&] { update_running_stats(stats, 12, 0.1, Tensor::zeros({2}), Tensor::ones({2})); }),
               Catch::Contains("normalisation running mean on cpu for data on cuda:0"));
}
