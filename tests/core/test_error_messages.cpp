#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "veil/core/error.h"
#include "veil/core/ops.h"

using namespace veil;

TEST_CASE("Error messages name source files relative to the project", "[core][errors]") {
  const char* source_dir = std::getenv("VEIL_SOURCE_DIR");  // set by CTest
  REQUIRE(source_dir != nullptr);
  std::string message;
  try {
    matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}));
  } catch (const Error& error) {
    message = error.what();
  }
  REQUIRE_FALSE(message.empty());
  INFO(message);
  CHECK(message.find(source_dir) == std::string::npos);
}
