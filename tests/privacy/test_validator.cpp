#include <catch2/catch.hpp>

#include "veil/layers/activations.h"
#include "veil/layers/batch_norm.h"
#include "veil/layers/dropout.h"
#include "veil/layers/embedding.h"
#include "veil/layers/flatten.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/pooling.h"
#include "veil/layers/sequential.h"
#include "veil/privacy/validator.h"

using namespace veil;

namespace {

// A layer with a parameter but no per-sample rule.
struct Scale : Module {
  Tensor factor;
  Scale() : Module("Scale") { factor = register_parameter("factor", Tensor::ones({1})); }
  Tensor forward(const Tensor& input) override { return input; }
};

struct ConvNetWithBatchNorm : Module {
  std::shared_ptr<Flatten> flatten = register_module("flatten", std::make_shared<Flatten>());
  std::shared_ptr<BatchNorm2d> bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(4));
  std::shared_ptr<Sequential> head = register_module(
      "head", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                  std::make_shared<Linear>(4, 2, 1), std::make_shared<Scale>()}));
  ConvNetWithBatchNorm() : Module("ConvNetWithBatchNorm") {}
  Tensor forward(const Tensor& x) override { return (*head)(flatten->forward(bn1->forward(x))); }
};

}  // namespace

TEST_CASE("a model of DP-ready layers passes", "[layers][validator]") {
  Sequential model{std::make_shared<GroupNorm>(2, 4),        std::make_shared<MaxPool2d>(2),
                   std::make_shared<AvgPool2d>(1),           std::make_shared<Flatten>(),
                   std::make_shared<Linear>(16, 8, 1),       std::make_shared<LayerNorm>(Shape{8}),
                   std::make_shared<ReLU>(),                 std::make_shared<Dropout>(0.1, 2),
                   std::make_shared<Tanh>(),                 std::make_shared<Sigmoid>()};
  REQUIRE(validate_for_dp(model).empty());
  REQUIRE_NOTHROW(check_dp_compatible(model));
  Embedding embedding(10, 4, 1);
  REQUIRE(validate_for_dp(embedding).empty());
}

TEST_CASE("BatchNorm is refused with a GroupNorm suggestion", "[layers][validator]") {
  ConvNetWithBatchNorm model;
  const auto problems = validate_for_dp(model);
  REQUIRE(problems.size() == 2);
  REQUIRE(problems[0] ==
          "bn1 (BatchNorm2d): BatchNorm2d mixes examples within a batch and breaks per-sample privacy; replace it "
          "with GroupNorm");
  REQUIRE_THAT(problems[1], Catch::StartsWith("head.1 (Scale): has parameters") && Catch::Contains("PerSampleLayer"));
  REQUIRE_THROWS_AS(check_dp_compatible(model), Error);
  REQUIRE_THROWS_WITH(check_dp_compatible(model),
                      Catch::Contains("2 problems") && Catch::Contains("bn1 (BatchNorm2d)") &&
                          Catch::Contains("head.1 (Scale)") && Catch::Contains("replace it with GroupNorm"));
}

TEST_CASE("the root module itself is checked", "[layers][validator]") {
  BatchNorm2d bn(3);
  REQUIRE_THROWS_WITH(check_dp_compatible(bn), Catch::Contains("<root> (BatchNorm2d)"));
  Scale scale;
  REQUIRE_THROWS_WITH(check_dp_compatible(scale), Catch::Contains("<root> (Scale)") && Catch::Contains("'factor'"));
  // A BatchNorm without affine parameters mixes examples all the same.
  BatchNorm2d plain(3, 1e-5, 0.1, false);
  REQUIRE(validate_for_dp(plain).size() == 1);
}
