// CUDA index_select and its accumulating adjoint against the CPU's.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/host_reads.h"
#include "veil/core/index_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA index_select and its backward agree with the CPU", "[cuda][index]") {
  const Device g = gpu();
  const Tensor a = rand({9, 4, 5}, 1, DType::Float32);
  const Tensor idx = Tensor::from_vector<std::int64_t>({8, 0, 3, 3, 8, 1}, {2, 3});
  require_bitwise_agrees(index_select_kernel(a.to(g), idx.to(g)), index_select_kernel(a, idx));
  const Tensor ints = Tensor::from_vector<std::int64_t>({10, 20, 30, 40, 50, 60, 70, 80, 90}, {9});
  require_bitwise_agrees(index_select_kernel(ints.to(g), idx.to(g)), index_select_kernel(ints, idx));
  const Tensor grad = rand({2, 3, 4, 5}, 2, DType::Float32);
  require_agrees(index_select_backward_kernel(grad.to(g), idx.to(g), a.shape()),
                 index_select_backward_kernel(grad, idx, a.shape()), 1e-6, 1e-6);
}

TEST_CASE("CUDA index_select names an index outside the rows at the next host read", "[cuda][index]") {
  const Device g = gpu();
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}).to(g);
  const Tensor idx = Tensor::from_vector<std::int64_t>({1, 2, 7, 0}, {4}).to(g);
  const std::uint64_t before = host_read_count();
  Tensor rows;
  REQUIRE_NOTHROW(rows = index_select_kernel(a, idx));
  // Meanwhile the bad index's row is 0, and the backward adds it nowhere.
  const Tensor grad = index_select_backward_kernel(Tensor::ones({4, 2}, DType::Float32, g), idx, a.shape());
  REQUIRE(host_read_count() == before);  // the check reads nothing back
  REQUIRE_THROWS_WITH(rows.to(Device::cpu()), "index 7 out of range for 4 rows");
  REQUIRE(on_cpu(rows).to_vector<float>() == std::vector<float>{3, 4, 5, 6, 0, 0, 1, 2});
  REQUIRE(on_cpu(grad).to_vector<float>() == std::vector<float>{1, 1, 1, 1, 1, 1, 0, 0});
}
