#include <catch2/catch.hpp>
#include <cmath>

#include "support/module_gradcheck.h"
#include "veil/autograd/ops.h"
#include "veil/layers/activations.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Values spread over [-3, 3] but at least 0.05 away from ReLU's kink at 0.
Tensor away_from_zero(const Shape& shape, std::uint64_t seed) {
  std::vector<double> values = Tensor::uniform(shape, -3.0, 3.0, seed, 0, DType::Float64).to_vector<double>();
  for (double& v : values) v = v < 0 ? v - 0.05 : v + 0.05;
  return Tensor::from_vector<double>(values, shape);
}

void check_against(Module& module, double (*reference)(double)) {
  const Tensor x = away_from_zero({3, 4, 5}, 3);
  const Tensor y = module(x);
  REQUIRE(y.shape() == x.shape());
  const auto in = x.to_vector<double>();
  const auto out = y.to_vector<double>();
  for (std::size_t j = 0; j < in.size(); ++j) {
    INFO(module.type_name() << " at " << in[j]);
    REQUIRE(out[j] == Approx(reference(in[j])).margin(1e-12));
  }
}

}  // namespace

TEST_CASE("activations match their formulas", "[layers][activations]") {
  ReLU relu_layer;
  Tanh tanh_layer;
  Sigmoid sigmoid_layer;
  check_against(relu_layer, [](double v) { return v > 0 ? v : 0.0; });
  check_against(tanh_layer, [](double v) { return std::tanh(v); });
  check_against(sigmoid_layer, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
  REQUIRE(relu_layer.describe() == "ReLU()");
  REQUIRE(relu_layer.parameters().empty());
  // float32 in, float32 out.
  REQUIRE(tanh_layer(Tensor::ones({2, 2})).dtype() == DType::Float32);
}

TEST_CASE("activation gradients match finite differences", "[layers][activations][gradcheck]") {
  ReLU relu_layer;
  Tanh tanh_layer;
  Sigmoid sigmoid_layer;
  for (Module* module : std::initializer_list<Module*>{&relu_layer, &tanh_layer, &sigmoid_layer}) {
    INFO(module->type_name());
    check_module_gradients(*module, away_from_zero({4, 6}, 5), random_projection_loss(1));
  }
}

TEST_CASE("activations pass an empty batch through", "[layers][activations]") {
  for (auto module : std::initializer_list<std::shared_ptr<Module>>{std::make_shared<ReLU>(), std::make_shared<Tanh>(),
                                                                    std::make_shared<Sigmoid>()}) {
    Tensor x = Tensor::zeros({0, 3});
    x.set_requires_grad(true);
    Tensor y = (*module)(x);
    REQUIRE(y.shape() == Shape{0, 3});
    sum(y).backward();
    REQUIRE(x.grad().shape() == Shape{0, 3});
  }
}
