// A program linked with a CUDA build of veil loads cuBLAS only when it
// makes its first cuBLAS handle on a GPU (core/cuda/cublas_library.h):
// loading it costs a CPU-only run about 0.4 s and 200 MiB. cuDNN likewise,
// only on the first convolution of its route (core/cuda/cudnn_library.h).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/conv_kernels.h"
#include "veil/core/im2row.h"

using namespace veil;
using namespace veil::testing;

namespace {

std::string loaded_libraries() {
  std::ifstream maps("/proc/self/maps");
  REQUIRE(maps.good());
  std::stringstream text;
  text << maps.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("CPU work leaves cuBLAS unloaded", "[core]") {
  const Tensor product = matmul(rand({64, 32}, 1, DType::Float32), rand({32, 16}, 2, DType::Float32));
  REQUIRE(product.shape() == Shape{64, 16});
  REQUIRE(loaded_libraries().find("libcublas") == std::string::npos);
}

TEST_CASE("CPU convolutions leave cuDNN unloaded", "[core]") {
  const Conv2dGeometry g{3, 3, 1, 1, 0, 0, 1, 1};
  const Tensor images = rand({2, 2, 6, 6}, 3, DType::Float32);
  const Tensor out = conv2d_forward_kernel(images, im2row_kernel(images, g), rand({4, 2, 3, 3}, 4, DType::Float32), g, 1);
  REQUIRE(out.shape() == Shape{2, 4, 4, 4});
  REQUIRE(loaded_libraries().find("libcudnn") == std::string::npos);
}
