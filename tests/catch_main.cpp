// The main of every Catch2 test executable. CTest runs the [cuda] cases of
// a file as a separate entry with VEIL_TEST_NEEDS_GPU=1, and its [two_gpus]
// cases as one with VEIL_TEST_NEEDS_GPU=2 (tests/CMakeLists.txt); on a
// machine with fewer GPUs that entry exits with the skip code, so CTest
// reports it as skipped rather than passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "veil/core/device.h"
#include "veil/core/device_runtime.h"

namespace {
constexpr int kSkipReturnCode = 77;  // SKIP_RETURN_CODE of the [cuda] entries
}

int main(int argc, char* argv[]) {
  const char* needs_gpu = std::getenv("VEIL_TEST_NEEDS_GPU");
  if (needs_gpu != nullptr && std::strcmp(needs_gpu, "1") == 0 && !veil::cuda_available()) {
    std::cout << "skipped: these test cases need a CUDA GPU and none is visible\n";
    return kSkipReturnCode;
  }
  if (needs_gpu != nullptr && std::strcmp(needs_gpu, "2") == 0 &&
      (!veil::cuda_available() || veil::cuda_device_count() < 2)) {
    std::cout << "skipped: these test cases need two CUDA GPUs and fewer are visible\n";
    return kSkipReturnCode;
  }
  return Catch::Session().run(argc, argv);
}
