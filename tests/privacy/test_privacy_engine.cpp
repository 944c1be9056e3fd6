// PrivacyEngine's warnings: library code never prints, so what the user must
// hear (the gdp accountant's epsilon is not a bound) comes back to the caller.
#include <catch2/catch.hpp>

#include "veil/data/data_loader.h"
#include "veil/layers/linear.h"
#include "veil/privacy/privacy_engine.h"

using namespace veil;

namespace {

data::DataLoader loader_of(std::int64_t n, std::int64_t batch_size) {
  auto dataset = std::make_shared<data::TensorDataset>(Tensor::zeros({n, 3}), Tensor::zeros({n}, DType::Int64));
  return data::DataLoader(dataset, batch_size, true, false, 0);
}

PrivateTraining make_private(const std::string& accountant, Linear& model, double sigma) {
  return PrivacyEngine(accountant).make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}),
                                                loader_of(200, 20), sigma, 1.0);
}

}  // namespace

TEST_CASE("make_private_with_epsilon under gdp warns that epsilon may be exceeded", "[privacy][engine]") {
  Linear model(3, 2, 1);
  PrivacyEngine engine("gdp");
  const PrivateTraining priv = engine.make_private_with_epsilon(
      model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}), loader_of(200, 20), 2.0, 1e-5, 3, 1.0);
  REQUIRE(priv.warnings.size() == 2);
  CHECK(priv.warnings[0].find("under-state epsilon") != std::string::npos);
  CHECK(priv.warnings[1].find("more than the target epsilon 2") != std::string::npos);

  Linear other(3, 2, 2);
  PrivacyEngine rdp("rdp");
  REQUIRE(rdp.make_private_with_epsilon(other, std::make_unique<SGD>(other.parameters(), SGDOptions{0.1}),
                                        loader_of(200, 20), 2.0, 1e-5, 3, 1.0)
              .warnings.empty());
}

TEST_CASE("make_private warns about gdp only", "[privacy][engine]") {
  Linear a(3, 2, 1), b(3, 2, 2), c(3, 2, 3);
  CHECK(make_private("gdp", a, 1.0).warnings.size() == 1);
  CHECK(make_private("rdp", b, 1.0).warnings.empty());
  CHECK(make_private("prv", c, 1.0).warnings.empty());
}
