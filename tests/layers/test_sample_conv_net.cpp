#include <catch2/catch.hpp>

#include "support/per_sample_check.h"
#include "veil/autograd/ops.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("SampleConvNet shapes and parameter count", "[layers][model]") {
  SampleConvNet net(1);
  REQUIRE(net(Tensor::uniform({3, 1, 28, 28}, 0, 1, 2)).shape() == Shape{3, 10});
  // conv1 16*64+16, conv2 32*256+32, fc1 512*32+32, fc2 32*10+10 (the Opacus example's 26,010)
  REQUIRE(net.num_parameters() == 26010);
  REQUIRE(net.per_sample_layers().size() == 4);
  REQUIRE_THROWS_AS(net(Tensor::zeros({1, 1, 27, 28})), Error);
}

TEST_CASE("SampleConvNet per-sample gradients with cross-entropy", "[layers][model][per_sample]") {
  SampleConvNet net(3);
  Tensor x = Tensor::uniform({3, 1, 28, 28}, 0, 1, 4);
  Tensor labels = Tensor::from_vector<std::int64_t>({1, 7, 3}, {3});
  const PerExampleLoss loss = per_example_cross_entropy(labels);
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean})
    check_per_sample_gradients(net, x, loss, {reduction, 2e-3, 1e-5});
}

TEST_CASE("cross_entropy matches log-softmax and has the softmax gradient", "[layers][losses]") {
  Tensor logits = Tensor::from_vector<double>({1.0, 2.0, 0.5, -1.0, 0.0, 3.0}, {2, 3});
  Tensor labels = Tensor::from_vector<std::int64_t>({1, 2}, {2});
  const auto lsm = log_softmax(logits, 1).to_vector<double>();
  REQUIRE(cross_entropy(logits, labels).item() == Approx(-(lsm[1] + lsm[5]) / 2).epsilon(1e-12));
  REQUIRE(cross_entropy(logits, labels, LossReduction::Sum).item() == Approx(-(lsm[1] + lsm[5])).epsilon(1e-12));
  logits.set_requires_grad(true);
  cross_entropy(logits, labels).backward();
  const auto sm = softmax(logits.detach(), 1).to_vector<double>();
  const auto g = logits.grad().to_vector<double>();
  REQUIRE(g[1] == Approx((sm[1] - 1) / 2));
  REQUIRE(g[0] == Approx(sm[0] / 2));
  REQUIRE(cross_entropy(Tensor::zeros({0, 3}), Tensor::zeros({0}, DType::Int64)).item() == 0.0);
  REQUIRE_THROWS_AS(cross_entropy(logits, Tensor::from_vector<std::int64_t>({1, 3}, {2})), Error);
}
