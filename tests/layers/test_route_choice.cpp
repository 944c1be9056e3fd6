#include <catch2/catch.hpp>

#include "veil/autograd/ops.h"
#include "veil/layers/losses.h"
#include "veil/layers/per_sample.h"
#include "veil/layers/sample_conv_net.h"

using namespace veil;

TEST_CASE("Auto counts the clipped-sum pass of the ghost route", "[layers][per_sample]") {
  // conv2 of SampleConvNet: T = 25 positions, K = 256, O = 32. The Gram
  // matrices alone (180k) are cheaper than the per-sample GEMM (205k), but
  // the ghost route then needs the weight-gradient GEMM once more.
  REQUIRE(choose_route(GradSampleMode::Auto, 25, 256, 32, 1e6) == GradSampleMode::Materialize);
  // A 2-D Linear layer: norms from two row norms, one GEMM for the sum.
  REQUIRE(choose_route(GradSampleMode::Auto, 1, 512, 32, 1e6) == GradSampleMode::Ghost);
  // conv1: T = 196, K = 64, O = 16.
  REQUIRE(choose_route(GradSampleMode::Auto, 196, 64, 16, 1e6) == GradSampleMode::Materialize);
  // Explicit requests are kept.
  REQUIRE(choose_route(GradSampleMode::Ghost, 25, 256, 32, 1e6) == GradSampleMode::Ghost);
  REQUIRE(choose_route(GradSampleMode::Materialize, 1, 512, 32, 1e6) == GradSampleMode::Materialize);
}

TEST_CASE("Auto avoids materialising more than the memory cap", "[layers][per_sample]") {
  const double over = static_cast<double>(kMaxMaterializedBytes) + 1;
  REQUIRE(choose_route(GradSampleMode::Auto, 25, 256, 32, over) == GradSampleMode::Ghost);
  REQUIRE(choose_route(GradSampleMode::Materialize, 25, 256, 32, over) == GradSampleMode::Materialize);
}

TEST_CASE("SampleConvNet's Auto routes", "[layers][per_sample][model]") {
  SampleConvNet net(5);
  net.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
  const Tensor x = Tensor::uniform({4, 1, 28, 28}, 0, 1, 6);
  const Tensor labels = Tensor::from_vector<std::int64_t>({1, 2, 3, 4}, {4});
  cross_entropy(net(x), labels, LossReduction::Mean).backward();
  std::vector<GradSampleMode> routes;
  for (PerSampleLayer* layer : net.per_sample_layers()) routes.push_back(layer->route_taken());
  REQUIRE(routes == std::vector<GradSampleMode>{GradSampleMode::Materialize, GradSampleMode::Materialize,
                                                 GradSampleMode::Ghost, GradSampleMode::Ghost});
}
