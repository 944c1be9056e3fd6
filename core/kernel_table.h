#pragma once
// Note [Kernel tables]
// Every op family that has device code (element-wise, GEMM, convolution,
// pooling, reductions, ...) is reached through one table of function
// pointers per device: `<family>_kernels(device)`. The CPU table lives in
// core/cpu/, the CUDA table in core/cuda/ and exists only when veil is built
// with CUDA. Callers never name a device's implementation directly, so a new
// backend adds tables, not call sites. A family without CUDA kernels yet
// passes no CUDA table and fails by name on a GPU tensor.
#include "veil/core/device.h"
#include "veil/core/error.h"

namespace veil {

template <typename Table>
const Table& select_kernels(Device device, const Table& cpu_table, const Table* cuda_table, const char* family) {
  if (device.is_cpu()) return cpu_table;
#ifdef VEIL_WITH_CUDA
  VEIL_CHECK(cuda_table != nullptr) << family << " kernels have no CUDA implementation yet (tensor on " << device
                                    << ")";
  return *cuda_table;
#else
  VEIL_FAIL() << family << " op on a " << device << " tensor, but veil was built without CUDA";
  return cpu_table;
#endif
}

}  // namespace veil
