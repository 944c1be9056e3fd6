// The CUDA side of the caching allocator (Note [Caching allocators] in
// core/allocator.h) and the device queries.
#include <cuda_runtime.h>

#include "veil/core/allocator.h"
#include "veil/core/caching_allocator.h"

namespace veil {

namespace {

void* cuda_malloc_or_null(std::size_t nbytes) {
  void* ptr = nullptr;
  if (cudaMalloc(&ptr, nbytes) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the error: the caller frees the cache and retries
    return nullptr;
  }
  return ptr;
}

}  // namespace

Allocator& cuda_allocator() {
  // Never destroyed: freeing device memory after the CUDA runtime has shut
  // down at exit would fail.
  static auto* allocator = new CachingAllocator(
      "CUDA", cuda_malloc_or_null, [](void* ptr) { cudaFree(ptr); }, std::size_t{64} << 30);
  return *allocator;
}

bool cuda_available() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return count > 0;
}

}  // namespace veil
