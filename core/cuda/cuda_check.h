#pragma once
// One checking helper for every CUDA runtime status (and, later, cuBLAS,
// cuDNN and NCCL): a failed call throws veil::Error naming the call.
#include <cuda_runtime.h>

#include "veil/core/error.h"

#define VEIL_CUDA_CHECK(call)                                                                  \
  do {                                                                                         \
    const cudaError_t veil_cuda_status = (call);                                               \
    VEIL_CHECK(veil_cuda_status == cudaSuccess) << #call << ": " << cudaGetErrorString(veil_cuda_status); \
  } while (0)

// After a kernel launch: reports launch errors (bad configuration, no device).
#define VEIL_CUDA_CHECK_LAUNCH() VEIL_CUDA_CHECK(cudaGetLastError())
