#include "veil/core/allocator.h"

#include <bit>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "veil/core/error.h"

namespace veil {

Allocator& cuda_allocator();  // core/cuda/cuda_allocator.cu, or below without CUDA

namespace {

// See Note [Caching allocators]. Sizes are rounded up to the alignment, and
// blocks are reused only for an exact (rounded) size: training repeats the
// same shapes, so exact reuse is enough and wastes no memory.
class CpuCachingAllocator final : public Allocator {
 public:
  ~CpuCachingAllocator() override { empty_cache(); }

  void* allocate(std::size_t nbytes) override {
    const std::size_t size = round_up(nbytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size;
        return ptr;
      }
    }
    void* ptr = std::aligned_alloc(kCpuAlignment, size);
    if (ptr == nullptr) {
      empty_cache();
      ptr = std::aligned_alloc(kCpuAlignment, size);
    }
    VEIL_CHECK(ptr != nullptr) << "out of CPU memory allocating " << nbytes << " bytes";
    return ptr;
  }

  void deallocate(void* ptr, std::size_t nbytes) override {
    if (ptr == nullptr) return;
    const std::size_t size = round_up(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_bytes_ + size > kMaxCachedBytes) {
      std::free(ptr);
      return;
    }
    free_[size].push_back(ptr);
    cached_bytes_ += size;
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* ptr : blocks) std::free(ptr);
    free_.clear();
    cached_bytes_ = 0;
  }

 private:
  static constexpr std::size_t kMaxCachedBytes = std::size_t{4} << 30;
  // Size classes: multiples of 64 bytes up to 4 KiB, then eight classes per
  // power of two (at most 12.5% slack). Poisson batches vary in size every
  // step; exact sizes would rarely repeat and each miss of a large buffer
  // costs a fresh mapping and its page faults.
  static std::size_t round_up(std::size_t nbytes) {
    const std::size_t n = nbytes == 0 ? 1 : nbytes;
    std::size_t granule = kCpuAlignment;
    if (n > 4096) {
      granule = std::size_t{1} << (std::bit_width(n) - 1 - 3);  // a power of two, >= 512
    }
    return (n + granule - 1) / granule * granule;
  }

  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace

#ifndef VEIL_WITH_CUDA
Allocator& cuda_allocator() {
  VEIL_FAIL() << "CUDA memory requested, but veil was built without CUDA";
  throw;  // not reached
}
#endif

Allocator& allocator_for(Device device) {
  if (device.is_cuda()) return cuda_allocator();
  static CpuCachingAllocator cpu;
  return cpu;
}

}  // namespace veil
