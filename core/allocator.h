#pragma once
// Memory for tensor storage.
//
// Note [Caching allocators]
// Training allocates the same sizes every step. Both the CPU and the CUDA
// allocator keep freed blocks in per-size free lists and hand them out again,
// so a steady-state step does no malloc/cudaMalloc. Each GPU has a pool of
// its own (PerDeviceAllocators): a block of one GPU is never handed to
// another. GPU blocks are plain device memory (cudaMalloc), never managed
// memory, which would migrate pages on demand. The CPU allocator rounds
// sizes up to classes (eight per power of two) so that the varying batch
// sizes of Poisson sampling reuse blocks too. CPU blocks are 64-byte aligned
// (one cache line, full AVX-512 vectors). A thread recording a CUDA
// graph allocates from a private pool (Note [Private pools],
// core/caching_allocator.h).
#include <cstddef>

#include "veil/core/device.h"

namespace veil {

constexpr std::size_t kCpuAlignment = 64;

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(std::size_t nbytes) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes) = 0;
  // Returns cached blocks to the system.
  virtual void empty_cache() = 0;
};

// The process-wide allocator for a device: the CPU's, or the pool of one GPU
// (by the device's index). CUDA throws when veil was built without CUDA.
Allocator& allocator_for(Device device);

}  // namespace veil
