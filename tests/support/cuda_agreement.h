#pragma once
// Helpers of the CPU-vs-CUDA agreement tests (tests/cuda). Their cases are
// tagged [cuda] and run only in CTest entries that set VEIL_TEST_NEEDS_GPU,
// which exit with the skip code where no GPU is visible (catch_main.cpp);
// gpu() still fails loudly if such a case is run by hand without one.
#include <catch2/catch.hpp>

#include "support/core_check.h"
#include "veil/core/device.h"

namespace veil::testing {

inline Device gpu() {
  REQUIRE(cuda_available());
  return Device::cuda();
}

inline Tensor on_cpu(const Tensor& t) { return t.to(Device::cpu()); }

// The GPU result is on the GPU, has the CPU result's dtype and shape, and
// each element is within atol + rtol * |cpu|.
inline void require_agrees(const Tensor& gpu_result, const Tensor& cpu_result, double atol, double rtol = 0.0) {
  REQUIRE(gpu_result.device().is_cuda());
  REQUIRE(gpu_result.dtype() == cpu_result.dtype());
  require_same(on_cpu(gpu_result), cpu_result, atol, rtol);
}

// The same, bit for bit.
inline void require_bitwise_agrees(const Tensor& gpu_result, const Tensor& cpu_result) {
  REQUIRE(gpu_result.device().is_cuda());
  require_identical(on_cpu(gpu_result), cpu_result);
}

}  // namespace veil::testing
