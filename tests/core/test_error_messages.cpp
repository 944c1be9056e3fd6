#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "veil/core/error.h"
#include "veil/autograd/ops.h"
#include "veil/data/idx_file.h"

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

TEST_CASE("A check on user input reads as its sentence alone; an assertion keeps where it failed",
          "[core][errors]") {
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("nothing thrown");
  };
  const int epoch = -5;
  CHECK(message([&] { VEIL_CHECK(epoch >= 0) << "epoch " << epoch << " is negative"; }) == "epoch -5 is negative");
  const std::string assertion = message([&] { VEIL_ASSERT(epoch >= 0) << "epoch " << epoch; });
  CHECK(assertion.find("epoch >= 0") != std::string::npos);
  CHECK(assertion.find("test_error_messages.cpp:") != std::string::npos);
  CHECK(assertion.find("epoch -5") != std::string::npos);
  // A file the user named: the sentence names it, with no C++ in it.
  const std::string missing =
      message([] { data::read_idx_file("absent-train-images-idx3-ubyte", 3); });
  INFO(missing);
  CHECK(missing.find("absent-train-images-idx3-ubyte") != std::string::npos);
  CHECK(missing.find("failed:") == std::string::npos);
  CHECK(missing.find(".cpp") == std::string::npos);
}
