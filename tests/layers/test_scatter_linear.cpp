#include <catch2/catch.hpp>

#include "support/per_sample_check.h"
#include "support/test_data.h"
#include "veil/autograd/ops.h"
#include "veil/core/compare.h"
#include "veil/layers/scatter_linear.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("ScatterLinear shapes and parameters", "[layers][model]") {
  ScatterLinear net({}, 1);
  REQUIRE(net(Tensor::uniform({3, 81, 7, 7}, -1, 1, 2)).shape() == Shape{3, 10});
  // Only fc trains: the normalisation has no affine parameters.
  REQUIRE(net.num_parameters() == 81 * 49 * 10 + 10);
  REQUIRE(net.per_sample_layers().size() == 1);
  ScatterLinear plain({.channels = 6, .height = 2, .width = 3, .groups = 0, .classes = 4}, 1);
  REQUIRE(plain(Tensor::uniform({2, 6, 2, 3}, -1, 1, 2)).shape() == Shape{2, 4});
  REQUIRE_THROWS_AS(net(Tensor::zeros({1, 81, 7, 6})), Error);
  REQUIRE(error_message([] { ScatterLinear({.groups = 4}, 1); }).find("groups") != std::string::npos);
}

TEST_CASE("ScatterLinear normalises each group of each example", "[layers][model]") {
  // A positive scale and a shift of one example's group of 3 channels leave
  // its logits unchanged with GroupNorm, and change them without.
  const Tensor x = Tensor::uniform({2, 6, 2, 2}, -1, 1, 6);
  std::vector<float> values = x.to_vector<float>();
  for (std::size_t i = 24 + 12; i < 48; ++i) values[i] = 4.0f * values[i] + 0.5f;  // example 1, channels 3..5
  const Tensor y = Tensor::from_vector(values, {2, 6, 2, 2});
  for (std::int64_t groups : {0, 2}) {
    ScatterLinear net({.channels = 6, .height = 2, .width = 2, .groups = groups, .classes = 3}, 5);
    const double change = max_abs_diff(net(x), net(y));
    if (groups > 0) REQUIRE(change < 1e-4);
    else REQUIRE(change > 1e-2);
  }
}

TEST_CASE("ScatterLinear per-sample gradients with cross-entropy", "[layers][model][per_sample]") {
  for (std::int64_t groups : {0, 3}) {
    ScatterLinear net({.channels = 9, .height = 3, .width = 3, .groups = groups, .classes = 5}, 3);
    Tensor x = Tensor::uniform({3, 9, 3, 3}, -1, 1, 4);
    Tensor labels = Tensor::from_vector<std::int64_t>({1, 4, 3}, {3});
    const PerExampleLoss loss = per_example_cross_entropy(labels);
    for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean})
      check_per_sample_gradients(net, x, loss, {reduction, 2e-3, 1e-5});
  }
}
