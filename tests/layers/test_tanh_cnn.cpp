#include <catch2/catch.hpp>

#include "support/per_sample_check.h"
#include "support/test_data.h"
#include "veil/autograd/ops.h"
#include "veil/core/compare.h"
#include "veil/layers/tanh_cnn.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("TanhCnn shapes and parameter counts", "[layers][model]") {
  TanhCnn plain({}, 1);
  REQUIRE(plain(Tensor::uniform({3, 1, 28, 28}, 0, 1, 2)).shape() == Shape{3, 10});
  // SampleConvNet's 26,010 parameters: only the activation differs.
  REQUIRE(plain.num_parameters() == 26010);
  REQUIRE(plain.per_sample_layers().size() == 4);
  // GroupNorm adds a scale and a shift per channel: 2 * (16 + 32).
  TanhCnn normed({.width = 1, .groups = 4}, 1);
  REQUIRE(normed.num_parameters() == 26010 + 96);
  REQUIRE(normed.per_sample_layers().size() == 6);
  // Width 2: conv1 32*64+32, conv2 64*512+64, fc1 1024*32+32, fc2 330.
  TanhCnn wide({.width = 2, .groups = 0}, 1);
  REQUIRE(wide.num_parameters() == 2080 + 32832 + 32800 + 330);
  REQUIRE(wide(Tensor::uniform({2, 1, 28, 28}, 0, 1, 2)).shape() == Shape{2, 10});
  REQUIRE_THROWS_AS(plain(Tensor::zeros({1, 1, 27, 28})), Error);
  REQUIRE(error_message([] { TanhCnn({.width = 0}, 1); }).find("width") != std::string::npos);
  REQUIRE(error_message([] { TanhCnn({.width = 1, .groups = 5}, 1); }).find("groups") != std::string::npos);
}

TEST_CASE("TanhCnn normalises after each convolution when given groups", "[layers][model]") {
  // GroupNorm right after conv1 makes the output blind to a positive scale
  // of conv1's weights and bias; without it the scale changes the output.
  Tensor x = Tensor::uniform({2, 1, 28, 28}, -1, 1, 6);
  for (std::int64_t groups : {0, 2}) {
    TanhCnn net({.width = 1, .groups = groups}, 5);
    const Tensor before = net(x).detach().clone();
    for (auto& [name, t] : net.named_parameters())
      if (name == "conv1.weight" || name == "conv1.bias") t.mul_(3.0);
    const double change = max_abs_diff(net(x), before);
    if (groups > 0) REQUIRE(change < 1e-4);
    else REQUIRE(change > 1e-3);
  }
}

TEST_CASE("TanhCnn per-sample gradients with cross-entropy, with and without GroupNorm", "[layers][model][per_sample]") {
  for (std::int64_t groups : {0, 4}) {
    TanhCnn net({.width = 1, .groups = groups}, 3);
    Tensor x = Tensor::uniform({3, 1, 28, 28}, 0, 1, 4);
    Tensor labels = Tensor::from_vector<std::int64_t>({1, 7, 3}, {3});
    const PerExampleLoss loss = per_example_cross_entropy(labels);
    for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean})
      check_per_sample_gradients(net, x, loss, {reduction, 2e-3, 1e-5});
  }
}
