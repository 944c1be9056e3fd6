// WeightAverage: the warmed-up exponential moving average, and swap().
#include <catch2/catch.hpp>

#include "support/test_data.h"
#include "veil/optim/weight_average.h"

using namespace veil;

TEST_CASE("WeightAverage follows the warmed-up exponential average", "[optim][weight_average]") {
  Tensor w = Tensor::from_vector<double>({1.0, -2.0}, {2});
  WeightAverage average({w}, 0.5);
  double expected0 = 1.0, expected1 = -2.0;
  for (int t = 1; t <= 6; ++t) {
    w.copy_(Tensor::from_vector<double>({1.0 + t, -2.0 * t}, {2}));
    average.update();
    // d_t = min(0.5, (1 + t) / (10 + t)) is 0.5 from t = 8 on; below, the warm-up.
    const double d = std::min(0.5, (1.0 + t) / (10.0 + t));
    expected0 = d * expected0 + (1 - d) * (1.0 + t);
    expected1 = d * expected1 + (1 - d) * (-2.0 * t);
  }
  REQUIRE(average.updates() == 6);
  const auto a = average.averages()[0].to_vector<double>();
  REQUIRE(a[0] == Approx(expected0).epsilon(1e-12));
  REQUIRE(a[1] == Approx(expected1).epsilon(1e-12));
  // The parameter itself is untouched by update().
  REQUIRE(w.to_vector<double>() == std::vector<double>{7.0, -12.0});
}

TEST_CASE("WeightAverage::swap exchanges averages and parameters, twice restores", "[optim][weight_average]") {
  Tensor w = Tensor::from_vector<float>({3.0f, 4.0f}, {2});
  WeightAverage average({w}, 0.9);
  w.copy_(Tensor::from_vector<float>({5.0f, 6.0f}, {2}));
  average.swap();
  REQUIRE(w.to_vector<float>() == std::vector<float>{3.0f, 4.0f});
  REQUIRE(average.averages()[0].to_vector<float>() == std::vector<float>{5.0f, 6.0f});
  average.swap();
  REQUIRE(w.to_vector<float>() == std::vector<float>{5.0f, 6.0f});
}

TEST_CASE("WeightAverage refuses a decay outside [0, 1)", "[optim][weight_average]") {
  Tensor w = Tensor::zeros({2});
  REQUIRE(testing::error_message([&] { WeightAverage({w}, 1.0); }).find("decay") != std::string::npos);
  REQUIRE(testing::error_message([&] { WeightAverage({w}, -0.1); }).find("decay") != std::string::npos);
}
