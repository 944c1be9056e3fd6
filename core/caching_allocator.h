#pragma once
// CachingAllocator: the allocator behind both devices (Note [Caching
// allocators] in core/allocator.h). It keeps freed blocks in free lists per
// size class and hands them out again; only the raw allocation and release
// differ by device.
//
// Note [Private pools]
// A captured graph (Note [Captured steps], core/graphed_step.h) bakes the
// address of every buffer its kernels touch into the graph: those buffers
// must stay reserved for as long as the graph lives, and nothing else may
// write them between replays. While a thread captures, its allocations come
// from a private pool of its own: the pool's free blocks first (a block
// freed during the capture is reused within it, in the same stream order as
// on every replay), then the general cache (filled by the eager warm-up
// step), then the device. Every block the capturing thread frees joins the
// pool, even one allocated before the capture: the graph may read it. After
// the capture the pool keeps all its blocks, free or in use, out of the
// general cache; releasing the pool (destroying the graph) returns them to
// it. Other threads (a data loader) keep using the general cache meanwhile.
// While any capture runs, nothing goes back to the device: a CUDA free may
// wait for the device, which a capture forbids.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

  // Private pools (Note [Private pools]), named by ids that are never reused.
  using PoolId = std::uint64_t;
  // From now until end_capture(pool), the calling thread's allocations come
  // from a new private pool. A thread captures into one pool at a time.
  PoolId begin_capture();
  // The calling thread allocates from the general cache again; the pool
  // keeps its blocks.
  void end_capture(PoolId pool);
  // The pool's free blocks return to the general cache, and its blocks
  // still in use return there when they are freed.
  void release_pool(PoolId pool);
  // Blocks the pool holds, free or in use (for tests).
  std::size_t pool_blocks(PoolId pool);

 private:
  using FreeLists = std::map<std::size_t, std::vector<void*>>;  // by block size; no empty lists
  struct PrivatePool {
    PoolId id = 0;
    std::thread::id capturing_thread;  // none once the capture has ended
    FreeLists free;
  };

  // The smallest free block of `lists` that serves `size` (at most
  // kMaxReuseFactor times larger), removed from them; nullptr when none.
  static void* take_free(FreeLists& lists, std::size_t size, std::size_t& block);
  // The pool the calling thread captures into, or nullptr.
  PrivatePool* capturing_pool();
  // Makes a block the pool's.
  void adopt(void* ptr, PrivatePool& pool);
  // Caches a free block in the general lists, or returns it to the device
  // when the cache is full and no capture runs.
  void cache_or_free(void* ptr, std::size_t size);

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
  FreeLists free_;  // the general cache
  std::unordered_map<void*, std::size_t> block_size_;  // of every block handed out
  std::size_t cached_bytes_ = 0;
  std::map<PoolId, PrivatePool> pools_;
  std::unordered_map<void*, PoolId> block_pool_;  // of every block a private pool holds
  PoolId next_pool_ = 1;
  int captures_ = 0;  // pools capturing now
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
