#include "veil/core/allocator.h"

#include <cstdlib>

#include "veil/core/caching_allocator.h"
#include "veil/core/error.h"

namespace veil {

Allocator& cuda_allocator(int index);  // core/cuda/cuda_allocator.cu, or below without CUDA

#ifndef VEIL_WITH_CUDA
Allocator& cuda_allocator(int /*index*/) {
  VEIL_FAIL() << "CUDA memory requested, but veil was built without CUDA";
  throw;  // not reached
}
#endif

Allocator& allocator_for(Device device) {
  if (device.is_cuda()) return cuda_allocator(device.index);
  static CachingAllocator cpu(
      "CPU", [](std::size_t nbytes) { return std::aligned_alloc(kCpuAlignment, nbytes); },
      [](void* ptr) { std::free(ptr); }, std::size_t{4} << 30);
  return cpu;
}

}  // namespace veil
