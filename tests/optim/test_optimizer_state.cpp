// Optimizer state loaded from a checkpoint: a state of the wrong shape, dtype
// or kind is refused before step() can walk it, and nothing changes.
#include <catch2/catch.hpp>

#include "support/test_data.h"
#include "veil/optim/optimizer.h"

using namespace veil;

namespace {

std::vector<Tensor> parameters() {
  Tensor w = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  w.set_grad(Tensor::from_vector<float>({1, 1, 1, 1, 1, 1}, {2, 3}));
  return {w};
}

}  // namespace

TEST_CASE("optimizers name their kind for checkpoints", "[layers][optimizer]") {
  REQUIRE(SGD(parameters(), {}).kind() == "sgd");
  REQUIRE(Adam(parameters(), {}).kind() == "adam");
  REQUIRE(make_adamw(parameters(), {})->kind() == "adamw");
}

TEST_CASE("SGD refuses a momentum buffer of another shape or dtype", "[layers][optimizer]") {
  SGD sgd(parameters(), {.lr = 0.1, .momentum = 0.9});
  for (const Tensor& bad : {Tensor::zeros({1}), Tensor::zeros({3, 2}), Tensor::zeros({2, 3}, DType::Float64)}) {
    const std::string message = testing::error_message([&] { sgd.load_state({{"momentum.0", bad}}); });
    REQUIRE(message.find("momentum.0") != std::string::npos);
  }
  sgd.step();  // still the fresh state: the first step's buffer is the gradient
  REQUIRE(sgd.state()[0].second.to_vector<float>() == std::vector<float>(6, 1.0f));
  sgd.load_state({{"momentum.0", Tensor::full({2, 3}, 2.0)}});
  sgd.step();
  REQUIRE(sgd.state()[0].second.to_vector<float>() == std::vector<float>(6, 0.9f * 2.0f + 1.0f));
}

TEST_CASE("Adam refuses a state without a step count, or with moments of another shape", "[layers][optimizer]") {
  Adam adam(parameters(), {});
  const Tensor m = Tensor::zeros({2, 3}), v = Tensor::zeros({2, 3});
  const Tensor one = Tensor::scalar(1.0, DType::Float64);
  REQUIRE(testing::error_message([&] { adam.load_state({{"step", Tensor()}, {"m.0", m}, {"v.0", v}}); })
              .find("step count") != std::string::npos);
  for (double bad : {-1.0, 0.5, 1e300})
    REQUIRE(testing::error_message([&] {
              adam.load_state({{"step", Tensor::scalar(bad, DType::Float64)}, {"m.0", m}, {"v.0", v}});
            }).find("step count") != std::string::npos);
  REQUIRE(testing::error_message([&] { adam.load_state({{"step", one}, {"m.0", Tensor::zeros({1})}, {"v.0", v}}); })
              .find("m.0") != std::string::npos);
  REQUIRE(testing::error_message([&] { adam.load_state({{"step", one}, {"m.0", m}, {"v.0", Tensor()}}); })
              .find("both") != std::string::npos);
  adam.load_state({{"step", one}, {"m.0", m}, {"v.0", v}});
  REQUIRE(adam.state()[0].second.item() == 1.0);
}
