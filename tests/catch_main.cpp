// The main of every Catch2 test executable. CTest runs the [cuda] cases of
// a file as a separate entry with VEIL_TEST_NEEDS_GPU=1 (tests/CMakeLists.txt);
// without a GPU that entry exits with the skip code, so CTest reports it as
// skipped rather than passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "veil/core/device.h"

namespace {
constexpr int kSkipReturnCode = 77;  // SKIP_RETURN_CODE of the [cuda] entries
}

int main(int argc, char* argv[]) {
  const char* needs_gpu = std::getenv("VEIL_TEST_NEEDS_GPU");
  if (needs_gpu != nullptr && std::strcmp(needs_gpu, "1") == 0 && !veil::cuda_available()) {
    std::cout << "skipped: these test cases need a CUDA GPU and none is visible\n";
    return kSkipReturnCode;
  }
  return Catch::Session().run(argc, argv);
}
