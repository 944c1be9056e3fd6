#include <catch2/catch.hpp>

#include "veil/autograd/gradcheck.h"
#include "veil/autograd/ops.h"
#include "veil/core/tensor.h"

using namespace veil;

TEST_CASE("tensor creation, views and autograd smoke test", "[tensor]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(a.shape() == Shape{2, 3});
  REQUIRE(a.transpose(0, 1).to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
  REQUIRE(a.slice(1, 1, 3).to_vector<float>() == std::vector<float>{2, 3, 5, 6});
  Tensor b = Tensor::from_vector<float>({10, 20, 30}, {3});
  REQUIRE((a + b).to_vector<float>() == std::vector<float>{11, 22, 33, 14, 25, 36});

  Tensor x = Tensor::from_vector<double>({0.5, -1.0, 2.0, 0.3, 0.7, -0.2}, {2, 3});
  Tensor w = Tensor::from_vector<double>({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {3, 2});
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  auto result = autograd::gradcheck(
      [](const std::vector<Tensor>& in) { return tanh(matmul(in[0], in[1])) + sum(sigmoid(in[0]), {1}, true); },
      {x, w});
  INFO(result.report);
  REQUIRE(result.ok);
}
