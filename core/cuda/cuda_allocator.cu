// The CUDA side of the caching allocator (Note [Caching allocators] in
// core/allocator.h): one pool per GPU, and the device queries.
#include <cuda_runtime.h>

#include <string>

#include "veil/core/allocator.h"
#include "veil/core/caching_allocator.h"
#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"
#include "veil/core/device_runtime.h"

namespace veil {

namespace {

void* cuda_malloc_or_null(int index, std::size_t nbytes) {
  const cuda::DeviceGuard on(index);  // cudaMalloc allocates on the current GPU
  // Legal inside this thread's graph capture too (Note [CUDA graph capture]
  // in core/cuda/cuda_graph.h): the capture mode is relaxed for this call.
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  VEIL_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, nbytes);
  VEIL_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  if (status != cudaSuccess) {
    (void)cudaGetLastError();  // clear the error: the caller frees the cache and retries
    return nullptr;
  }
  return ptr;
}

// Unchecked: it runs in storage destructors, which must not throw, and at
// worst leaks a block the runtime reclaims at exit.
void cuda_free(int index, void* ptr) {
  const cuda::DeviceGuard on(index);
  (void)cudaFree(ptr);
}

}  // namespace

Allocator& cuda_allocator(int index) {
  // Never destroyed: freeing device memory after the CUDA runtime has shut
  // down at exit would fail.
  static auto* pools = new PerDeviceAllocators(cuda::kMaxDevices, [](int device) {
    return std::make_unique<CachingAllocator>(
        "cuda:" + std::to_string(device), [device](std::size_t nbytes) { return cuda_malloc_or_null(device, nbytes); },
        [device](void* ptr) { cuda_free(device, ptr); }, std::size_t{64} << 30);
  });
  return pools->pool(index);
}

bool cuda_available() { return cuda_device_count() > 0; }

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no GPU: none to use
    return 0;
  }
  return count;
}

}  // namespace veil
