// CUDA sums and argmax against the CPU's, over leading, trailing and mixed
// dimensions of contiguous and transposed tensors.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/reduce_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA sum agrees with the CPU's double accumulation", "[cuda][reduce]") {
  const Device g = gpu();
  const Tensor x = rand({40, 7, 300}, 1, DType::Float32);
  const Tensor t = x.transpose(0, 2);
  for (const std::vector<int>& dims : std::vector<std::vector<int>>{{0}, {0, 1}, {2}, {1}, {0, 2}, {0, 1, 2}, {}}) {
    INFO("dims of size " << dims.size());
    for (bool keepdim : {false, true}) {
      require_agrees(sum_kernel(x.to(g), dims, keepdim), sum_kernel(x, dims, keepdim), 1e-6, 1e-6);
      require_agrees(sum_kernel(x.to(g).transpose(0, 2), dims, keepdim), sum_kernel(t, dims, keepdim),
                     1e-6, 1e-6);
    }
  }
  // Many rows, few columns: the CPU's blocked path.
  const Tensor tall = rand({5000, 3}, 2, DType::Float64);
  require_agrees(sum_kernel(tall.to(g), {0}, false), sum_kernel(tall, {0}, false), 1e-12, 1e-12);
}

TEST_CASE("CUDA argmax finds the first maximum like the CPU", "[cuda][reduce]") {
  const Device g = gpu();
  Tensor x = rand({6, 10, 4}, 3, DType::Float32);
  x.slice(1, 2, 5).fill_(2.0);  // ties: the first wins
  for (int dim : {0, 1, 2, -1}) {
    INFO("dim " << dim);
    require_bitwise_agrees(argmax_kernel(x.to(g), dim), argmax_kernel(x, dim));
  }
  const Tensor labels = Tensor::from_vector<std::int64_t>({3, 9, 9, 1}, {2, 2});
  require_bitwise_agrees(argmax_kernel(labels.to(g), 1), argmax_kernel(labels, 1));
}

TEST_CASE("CUDA sums over empty dimensions are zeros, like the CPU's", "[cuda][reduce]") {
  const Device g = gpu();
  // Many columns of no rows (the bias gradient of an empty batch), a few
  // rows of no columns, and an empty result.
  for (const Shape& shape : std::vector<Shape>{{0, 300}, {5, 0}, {0, 3}}) {
    INFO("shape " << shape[0] << "x" << shape[1]);
    const Tensor x = Tensor::zeros(shape, DType::Float32);
    for (int dim : {0, 1}) require_bitwise_agrees(sum_kernel(x.to(g), {dim}, false), sum_kernel(x, {dim}, false));
    require_bitwise_agrees(sum_kernel(x.to(g), {0, 1}, false), sum_kernel(x, {0, 1}, false));
  }
}
