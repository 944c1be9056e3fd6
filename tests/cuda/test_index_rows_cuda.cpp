// The CUDA index-rows table (the embedding's kernels) against the CPU's,
// with repeated indices so that scatters hit one row several times.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/autograd/ops.h"
#include "veil/core/host_reads.h"
#include "veil/core/index_rows.h"
#include "veil/layers/embedding.h"

using namespace veil;
using namespace veil::testing;

namespace {

Tensor indices_with_repeats(const Shape& shape, std::int64_t limit) {
  std::vector<std::int64_t> values;
  for (double u : rand(shape, 40, DType::Float64, 0.0, 1.0).to_vector<double>())
    values.push_back(static_cast<std::int64_t>(u * limit));
  values[1] = values[0];  // a repeat within the first example
  return Tensor::from_vector<std::int64_t>(values, shape);
}

}  // namespace

TEST_CASE("CUDA Embedding raises a bad index at the next host read and reads nothing back", "[cuda][index_rows]") {
  const Device g = gpu();
  Embedding layer(5, 2, 1);
  layer.to(g);
  const Tensor good = Tensor::from_vector<std::int64_t>({0, 4, 2, 1}, {2, 2}).to(g);
  const Tensor bad = Tensor::from_vector<std::int64_t>({0, 4, 2, 6, 9, 1}, {3, 2}).to(g);
  std::uint64_t before = host_read_count();
  const Tensor y = layer(good);
  REQUIRE(host_read_count() == before);
  require_bitwise_agrees(y, index_select(layer.weight().to(Device::cpu()), good.to(Device::cpu())));

  before = host_read_count();
  Tensor rows;
  REQUIRE_NOTHROW(rows = layer(bad));
  REQUIRE(host_read_count() == before);
  REQUIRE_THROWS_WITH(rows.to(Device::cpu()), "Embedding: index 6 (example 1, position 1) is outside [0, 5); 2 "
                                              "indices are outside in all");
  const std::vector<float> got = on_cpu(rows).to_vector<float>();
  REQUIRE(got[6] == 0.0f);  // the bad index's row reads 0 meanwhile
  REQUIRE(got[8] == 0.0f);
}

TEST_CASE("CUDA scatters skip an index outside the table while its error is pending", "[cuda][index_rows]") {
  const Device g = gpu();
  const Tensor idx = Tensor::from_vector<std::int64_t>({0, 7, -1, 1}, {2, 2}).to(g);
  const Tensor rows = Tensor::ones({2, 2, 3}, DType::Float32, g);
  const Tensor table = Tensor::zeros({2, 3}, DType::Float32, g);
  index_rows_kernels(g).scatter_add_rows(idx, rows, Tensor(), table);
  REQUIRE(on_cpu(table).to_vector<float>() == std::vector<float>{1, 1, 1, 1, 1, 1});
  const Tensor per_sample = Tensor::zeros({2, 2, 3}, DType::Float32, g);
  index_rows_kernels(g).scatter_add_per_sample(idx, rows, per_sample);
  REQUIRE(on_cpu(per_sample).to_vector<float>() == std::vector<float>{1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1});
}

TEST_CASE("CUDA gather and scatter-add of rows agree with the CPU", "[cuda][index_rows]") {
  const Device g = gpu();
  const std::int64_t batch = 5, t = 6, v = 10, d = 33;
  const Tensor idx = indices_with_repeats({batch, t}, v);
  const Tensor table = rand({v, d}, 41, DType::Float32);
  const Tensor rows = rand({batch, t, d}, 42, DType::Float32);
  const Tensor coeffs = Tensor::from_vector<double>({0.5, 0.0, 1.0, 0.25, 2.0}, {batch});

  Tensor gathered = Tensor::empty({batch * t, d}, DType::Float32);
  const Tensor gathered_gpu = Tensor::empty({batch * t, d}, DType::Float32, g);
  index_rows_kernels(Device::cpu()).gather_rows(table, idx.reshape({-1}), gathered);
  index_rows_kernels(g).gather_rows(table.to(g), idx.reshape({-1}).to(g), gathered_gpu);
  require_bitwise_agrees(gathered_gpu, gathered);

  for (const Tensor& c : {Tensor(), coeffs}) {
    INFO("coefficients " << (c.defined() ? "given" : "none"));
    Tensor sum_cpu = table.clone();
    const Tensor sum_gpu = table.to(g);
    index_rows_kernels(Device::cpu()).scatter_add_rows(idx, rows, c, sum_cpu);
    index_rows_kernels(g).scatter_add_rows(idx.to(g), rows.to(g), c.defined() ? c.to(g) : Tensor(), sum_gpu);
    require_agrees(sum_gpu, sum_cpu, 1e-6, 1e-6);
  }

  Tensor per_sample = Tensor::zeros({batch, v, d}, DType::Float32);
  const Tensor per_sample_gpu = Tensor::zeros({batch, v, d}, DType::Float32, g);
  index_rows_kernels(Device::cpu()).scatter_add_per_sample(idx, rows, per_sample);
  index_rows_kernels(g).scatter_add_per_sample(idx.to(g), rows.to(g), per_sample_gpu);
  require_agrees(per_sample_gpu, per_sample, 1e-6, 1e-6);
}

TEST_CASE("CUDA scattered_sq_norms agrees with the CPU", "[cuda][index_rows]") {
  const Device g = gpu();
  const Tensor idx = indices_with_repeats({4, 9}, 5);
  const Tensor rows = rand({4, 9, 17}, 43, DType::Float64);
  Tensor norms = Tensor::empty({4}, DType::Float64);
  const Tensor norms_gpu = Tensor::empty({4}, DType::Float64, g);
  index_rows_kernels(Device::cpu()).scattered_sq_norms(idx, rows, norms);
  index_rows_kernels(g).scattered_sq_norms(idx.to(g), rows.to(g), norms_gpu);
  require_agrees(norms_gpu, norms, 1e-12, 1e-12);
}
