#include <catch2/catch.hpp>
#include <cmath>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/core/host_reads.h"
#include "veil/autograd/ops.h"
#include "veil/layers/embedding.h"

using namespace veil;
using namespace veil::testing;

namespace {

Tensor indices(const std::vector<std::int64_t>& values, const Shape& shape) {
  return Tensor::from_vector<std::int64_t>(values, shape);
}

// check_module_gradients feeds float64 inputs; this casts them to the
// indices the embedding reads (the input itself gets no gradient).
struct IndicesFromDouble : Module {
  std::shared_ptr<Embedding> embedding;
  explicit IndicesFromDouble(std::shared_ptr<Embedding> e) : Module("IndicesFromDouble") {
    embedding = register_module("embedding", std::move(e));
  }
  Tensor forward(const Tensor& input) override { return (*embedding)(input.to(DType::Int64)); }
};

}  // namespace

TEST_CASE("Embedding looks up rows", "[layers][embedding]") {
  Embedding layer(7, 3, 1);
  const Tensor idx = indices({4, 0, 6, 4, 2, 1}, {2, 3});
  const Tensor y = layer(idx);
  REQUIRE(y.shape() == Shape{2, 3, 3});
  const auto w = layer.weight().to_vector<float>();
  const auto out = y.to_vector<float>();
  const auto ids = idx.to_vector<std::int64_t>();
  for (std::size_t k = 0; k < ids.size(); ++k)
    for (std::size_t j = 0; j < 3; ++j) REQUIRE(out[k * 3 + j] == w[ids[k] * 3 + j]);
  REQUIRE(layer(indices({5, 3}, {2})).shape() == Shape{2, 3});
  REQUIRE(layer.describe() == "Embedding(num_embeddings=7, embedding_dim=3)");
}

TEST_CASE("Embedding weights start N(0, 1)", "[layers][embedding]") {
  Embedding layer(200, 50, 3);
  const auto w = layer.weight().to_vector<double>();
  double mean = 0, sq = 0;
  for (double v : w) mean += v;
  mean /= w.size();
  for (double v : w) sq += (v - mean) * (v - mean);
  // 10000 draws: sd of the mean is 0.01, of the variance about 0.014.
  REQUIRE(std::fabs(mean) < 0.05);
  REQUIRE(std::fabs(sq / w.size() - 1.0) < 0.07);
  REQUIRE(max_abs_diff(Embedding(200, 50, 3).weight(), layer.weight()) == 0.0);
}

TEST_CASE("Embedding rejects bad indices clearly", "[layers][embedding]") {
  Embedding layer(5, 2, 1);
  REQUIRE_THROWS_WITH(layer(indices({1, 5}, {1, 2})),
                      Catch::Contains("index 5 (example 0, position 1) is outside [0, 5)"));
  REQUIRE_THROWS_WITH(layer(indices({-1}, {1})), Catch::Contains("index -1"));
  REQUIRE_THROWS_WITH(layer(Tensor::zeros({2})), Catch::Contains("int64 indices"));
  REQUIRE_THROWS_AS(layer(indices({1, 2, 3, 4, 0, 1, 2, 3}, {2, 2, 2})), Error);
  REQUIRE_THROWS_AS(Embedding(0, 3, 1), Error);
}

TEST_CASE("Embedding counts bad indices and reads nothing back to check them", "[layers][embedding]") {
  Embedding layer(5, 2, 1);
  const Tensor bad = indices({0, 1, 2, 3, 9, 4, -3, 0}, {2, 4});
  const std::uint64_t before = host_read_count();
  REQUIRE_THROWS_WITH(layer(bad), "Embedding: index 9 (example 1, position 0) is outside [0, 5); 2 indices are "
                                  "outside in all");
  REQUIRE(host_read_count() == before);  // the check ran where the indices are
  REQUIRE_THROWS_WITH(layer(indices({4, 7}, {2})), Catch::Contains("index 7 (example 1, position 0)"));
}

TEST_CASE("Embedding weight gradient matches finite differences", "[layers][embedding][gradcheck]") {
  // Index 2 repeats within the first example, 0 across examples.
  const Tensor idx = Tensor::from_vector<double>({2, 2, 0, 1, 0, 3}, {2, 3});
  IndicesFromDouble model(std::make_shared<Embedding>(4, 3, 5));
  model.to(DType::Float64);
  check_module_gradients(model, idx, random_projection_loss(2), {1e-6, 1e-6, 1e-4, false});
}

TEST_CASE("Embedding per-sample gradients", "[layers][embedding][per_sample]") {
  const std::vector<Tensor> inputs = {
      indices({3, 1, 3, 3, 0, 2, 2, 5, 1, 1, 1, 1}, {3, 4}),  // repeats within and across examples
      indices({4, 0, 4, 2, 6}, {5}),
      indices({5, 5, 2}, {1, 3}),
      indices({6}, {1}),
  };
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (const Tensor& input : inputs) {
      Embedding layer(7, 4, 11);
      INFO("indices " << shape_string(input.shape()) << " mean " << (reduction == LossReduction::Mean));
      check_per_sample_gradients(layer, input, random_projection_loss(3), {reduction, 1e-4, 1e-5});
    }
  }
}

TEST_CASE("Embedding adds up repeated indices within an example", "[layers][embedding][per_sample]") {
  Embedding layer(4, 2, 1);
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost, GradSampleMode::Auto}) {
    layer.zero_grad();
    layer.set_per_sample({mode, LossReduction::Sum});
    // Example 0 looks up row 1 twice, example 1 looks up rows 3 and 0.
    const Tensor out = layer(indices({1, 1, 3, 0}, {2, 2}));
    const Tensor w = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
    sum(mul(out, w)).backward();
    REQUIRE(layer.route_taken() == (mode == GradSampleMode::Materialize ? mode : GradSampleMode::Ghost));
    const auto samples = layer.grad_samples()[0].to_vector<float>();
    const std::vector<float> expected = {0, 0, 4, 6, 0, 0, 0, 0,   // example 0: row 1 = (1,2) + (3,4)
                                         7, 8, 0, 0, 0, 0, 5, 6};  // example 1: row 3 = (5,6), row 0 = (7,8)
    REQUIRE(samples == expected);
    const auto norms = layer.per_sample_sq_norms()[0].to_vector<double>();
    REQUIRE(norms[0] == Approx(16 + 36));
    REQUIRE(norms[1] == Approx(25 + 36 + 49 + 64));
  }
}

TEST_CASE("Embedding handles an empty batch", "[layers][embedding][per_sample]") {
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    for (const Shape& shape : {Shape{0}, Shape{0, 3}}) {
      Embedding layer(5, 3, 9);
      layer.set_per_sample({mode, LossReduction::Mean});
      Tensor out = layer(Tensor::zeros(shape, DType::Int64));
      Shape out_shape = shape;
      out_shape.push_back(3);
      REQUIRE(out.shape() == out_shape);
      sum(out).backward();
      REQUIRE(layer.per_sample_batch_size() == 0);
      REQUIRE(layer.per_sample_sq_norms()[0].shape() == Shape{0});
      REQUIRE(layer.grad_samples()[0].shape() == Shape{0, 5, 3});
      layer.accumulate_weighted_grads({Tensor::zeros({0}, DType::Float64)});
      REQUIRE(max_abs_diff(layer.weight().grad(), Tensor::zeros({5, 3})) == 0.0);
    }
  }
  Embedding plain(5, 3, 9);
  Tensor out = plain(Tensor::zeros({0, 2}, DType::Int64));
  sum(out).backward();
  REQUIRE(max_abs_diff(plain.weight().grad(), Tensor::zeros({5, 3})) == 0.0);
}
