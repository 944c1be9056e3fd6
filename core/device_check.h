#pragma once
// Ops that have no CUDA kernel yet say so instead of reading device memory.
#include "veil/core/error.h"
#include "veil/core/tensor.h"

namespace veil {

inline void require_cpu(const Tensor& t, const char* op) {
  VEIL_CHECK(t.device().is_cpu()) << op << " has no CUDA kernel yet; move the tensor to the CPU with .to(Device::cpu())";
}

}  // namespace veil
