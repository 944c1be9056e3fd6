#pragma once
// CachingAllocator: the allocator behind both devices (Note [Caching
// allocators] in core/allocator.h). It keeps freed blocks in free lists per
// size class and hands them out again; only the raw allocation and release
// differ by device.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "veil/core/allocator.h"

namespace veil {

class CachingAllocator final : public Allocator {
 public:
  using RawAllocate = std::function<void*(std::size_t nbytes)>;  // nullptr when out of memory
  using RawFree = std::function<void(void* ptr)>;

  CachingAllocator(std::string device_name, RawAllocate raw_allocate, RawFree raw_free, std::size_t max_cached_bytes);
  ~CachingAllocator() override;

  void* allocate(std::size_t nbytes) override;
  void deallocate(void* ptr, std::size_t nbytes) override;
  void empty_cache() override;

  // Multiples of 64 bytes up to 4 KiB, then eight classes per power of two
  // (at most 12.5% slack): Poisson batches vary in size every step, and
  // exact sizes would rarely repeat.
  static std::size_t size_class(std::size_t nbytes);

  // A request takes the smallest cached block of its size class up to this
  // many times the class. Batch sizes drawn anew every step would otherwise
  // leave a block in every size class a tensor's size ever fell in: the
  // cache, and the process, would grow with the number of steps. A block
  // left by a larger batch serves a smaller one instead.
  static constexpr std::size_t kMaxReuseFactor = 2;

 private:
  // Before a new block of `size` is allocated: the cached blocks that it
  // supersedes, those of at least size / kMaxReuseFactor (it serves their
  // requests too), go back to the system. Otherwise each new largest batch
  // would add blocks beside the ones it outgrew.
  void release_superseded(std::size_t size);

  std::string device_name_;
  RawAllocate raw_allocate_;
  RawFree raw_free_;
  std::size_t max_cached_bytes_;
  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;  // by block size; no empty lists
  std::unordered_map<void*, std::size_t> block_size_;  // of every block handed out
  std::size_t cached_bytes_ = 0;
};

// One CachingAllocator per device index (each GPU), made on first use. A
// block never moves between devices: it is freed into the pool of the
// device its storage names, and only that device's requests take it.
class PerDeviceAllocators {
 public:
  using MakePool = std::function<std::unique_ptr<CachingAllocator>(int index)>;

  PerDeviceAllocators(int max_devices, MakePool make_pool);

  // The pool of device `index`; throws for an index outside [0, max_devices).
  CachingAllocator& pool(int index);
  // empty_cache() of every pool made so far.
  void empty_cache();

 private:
  MakePool make_pool_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<CachingAllocator>> pools_;  // by device index; null until first use
};

}  // namespace veil
