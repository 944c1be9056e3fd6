#pragma once
// One checking helper per CUDA library status: a failed call throws
// veil::Error naming the call and the library's own description of the error.
#include <cuda_runtime.h>

#include "veil/core/cuda/cublas_library.h"
#include "veil/core/error.h"

#define VEIL_CUDA_CHECK(call)                                                                  \
  do {                                                                                         \
    const cudaError_t veil_cuda_status = (call);                                               \
    VEIL_CHECK(veil_cuda_status == cudaSuccess) << #call << ": " << cudaGetErrorString(veil_cuda_status); \
  } while (0)

#define VEIL_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                            \
    const cublasStatus_t veil_cublas_status = (call);                                             \
    VEIL_CHECK(veil_cublas_status == CUBLAS_STATUS_SUCCESS)                                       \
        << #call << ": " << ::veil::cuda::cublas_library().status_name(veil_cublas_status) << " ("   \
        << ::veil::cuda::cublas_library().status_string(veil_cublas_status) << ")";                  \
  } while (0)

// After a kernel launch: reports launch errors (bad configuration, no
// device) with the kernel's name.
#define VEIL_CUDA_CHECK_LAUNCH_OF(kernel_name)                                                          \
  do {                                                                                                  \
    const cudaError_t veil_cuda_status = cudaGetLastError();                                            \
    VEIL_CHECK(veil_cuda_status == cudaSuccess) << "launching " << (kernel_name) << ": "                \
                                                << cudaGetErrorString(veil_cuda_status);               \
  } while (0)
