// A program linked with a CUDA build of veil loads cuBLAS only when it
// makes its first cuBLAS handle on a GPU (core/cuda/cublas_library.h):
// loading it costs a CPU-only run about 0.4 s and 200 MiB.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "support/core_check.h"
#include "veil/autograd/ops.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CPU work leaves cuBLAS unloaded", "[core]") {
  const Tensor product = matmul(rand({64, 32}, 1, DType::Float32), rand({32, 16}, 2, DType::Float32));
  REQUIRE(product.shape() == Shape{64, 16});
  std::ifstream maps("/proc/self/maps");
  REQUIRE(maps.good());
  std::stringstream text;
  text << maps.rdbuf();
  REQUIRE(text.str().find("libcublas") == std::string::npos);
}
