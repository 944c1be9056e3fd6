#include <catch2/catch.hpp>

#include "support/module_gradcheck.h"
#include "support/per_sample_check.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/activations.h"
#include "veil/layers/dropout.h"
#include "veil/layers/linear.h"
#include "veil/layers/sequential.h"

using namespace veil;
using namespace veil::testing;

namespace {

std::shared_ptr<Sequential> small_mlp() {
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(4, 5, 1), std::make_shared<Tanh>(), std::make_shared<Linear>(5, 3, 2)});
}

}  // namespace

TEST_CASE("Sequential names children by position", "[layers][sequential]") {
  auto net = small_mlp();
  REQUIRE(net->size() == 3);
  REQUIRE(net->children()[0].first == "0");
  REQUIRE(net->children()[2].first == "2");
  REQUIRE(net->at(1)->type_name() == "Tanh");
  REQUIRE_THROWS_AS(net->at(3), Error);
  std::vector<std::string> names;
  for (const auto& [name, p] : net->named_parameters()) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  REQUIRE(net->per_sample_layers().size() == 2);

  Sequential built;
  built.add(std::make_shared<Linear>(2, 2, 1)).add(std::make_shared<ReLU>());
  REQUIRE(built.size() == 2);
  REQUIRE(built.children()[1].first == "1");
  REQUIRE(built.to_string() == "Sequential()\n  (0): Linear(in_features=2, out_features=2, bias=true)\n  (1): ReLU()");
}

TEST_CASE("Sequential chains its modules in order", "[layers][sequential]") {
  auto net = small_mlp();
  const Tensor x = Tensor::uniform({6, 4}, -1, 1, 3);
  const Tensor expected = (*net->at(2))((*net->at(1))((*net->at(0))(x)));
  REQUIRE(max_abs_diff((*net)(x), expected) == 0.0);
  Sequential empty;
  REQUIRE(max_abs_diff(empty(x), x) == 0.0);
  // train()/eval() reach the children.
  Sequential with_dropout{std::make_shared<Dropout>(0.5, 1)};
  with_dropout.eval();
  REQUIRE(!with_dropout.at(0)->is_training());
  REQUIRE(max_abs_diff(with_dropout(x), x) == 0.0);
}

TEST_CASE("Sequential gradients and per-sample gradients", "[layers][sequential][per_sample]") {
  auto net = small_mlp();
  net->to(DType::Float64);
  check_module_gradients(*net, Tensor::uniform({3, 4}, -1, 1, 4, 0, DType::Float64), random_projection_loss(5));
  auto net32 = small_mlp();
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean})
    check_per_sample_gradients(*net32, Tensor::uniform({5, 4}, -1, 1, 6), random_projection_loss(7),
                               {reduction, 1e-4, 1e-5});
}
