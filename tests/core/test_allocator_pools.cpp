// The caching allocator's private pools (Note [Private pools]), on a CPU
// cache: the pool logic is the same for both devices.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <thread>

#include "veil/core/caching_allocator.h"

using namespace veil;

namespace {

int raw_allocations = 0, raw_frees = 0;

CachingAllocator counted_cache() {
  raw_allocations = raw_frees = 0;
  return CachingAllocator(
      "test",
      [](std::size_t nbytes) {
        ++raw_allocations;
        return std::aligned_alloc(kCpuAlignment, nbytes);
      },
      [](void* ptr) {
        ++raw_frees;
        std::free(ptr);
      },
      std::size_t{1} << 30);
}

// An allocation from another thread, as a data loader's during a capture.
void* allocate_elsewhere(CachingAllocator& cache, std::size_t nbytes) {
  void* ptr = nullptr;
  std::thread([&] { ptr = cache.allocate(nbytes); }).join();
  return ptr;
}

}  // namespace

TEST_CASE("a capture takes warmed-up blocks, reuses its own frees, and keeps them from others until released",
          "[allocator]") {
  CachingAllocator cache = counted_cache();
  // The eager warm-up step leaves its blocks in the general cache.
  void* warm = cache.allocate(1000);
  cache.deallocate(warm, 1000);
  void* before = cache.allocate(3000);  // allocated before the capture, freed during it
  REQUIRE(raw_allocations == 2);

  const CachingAllocator::PoolId pool = cache.begin_capture();
  void* first = cache.allocate(1000);
  REQUIRE(first == warm);  // from the general cache, without a new allocation
  cache.deallocate(first, 1000);
  void* output = cache.allocate(1000);
  REQUIRE(output == warm);  // a block freed within the capture is reused within it
  void* scratch = cache.allocate(2000);  // nothing cached: a new block, the pool's
  REQUIRE(raw_allocations == 3);
  cache.deallocate(scratch, 2000);
  cache.deallocate(before, 3000);  // the graph may read it: it joins the pool
  // Another thread's allocations come from the general cache, never the pool.
  void* elsewhere = allocate_elsewhere(cache, 2000);
  REQUIRE(elsewhere != scratch);
  cache.end_capture(pool);
  REQUIRE(cache.pool_blocks(pool) == 3);

  // After the capture no request gets the graph's blocks, free or in use.
  const std::set<void*> graph_blocks{warm, scratch, before};
  void* a = cache.allocate(1000);
  void* b = cache.allocate(2000);
  void* c = cache.allocate(3000);
  for (void* p : {a, b, c}) REQUIRE(graph_blocks.count(p) == 0);
  // The output, freed while the graph lives, stays reserved for it.
  cache.deallocate(output, 1000);
  void* d = cache.allocate(1000);
  REQUIRE(d != output);
  for (void* p : {a, b, c, d, elsewhere}) cache.deallocate(p, 1000);

  // Released, the pool's blocks serve everyone again.
  cache.release_pool(pool);
  REQUIRE_THROWS(cache.pool_blocks(pool));
  const int allocations = raw_allocations;
  void* again = cache.allocate(2000);
  cache.deallocate(again, 2000);
  REQUIRE(raw_allocations == allocations);
}

TEST_CASE("a block of a released pool still in use returns to the general cache when freed", "[allocator]") {
  CachingAllocator cache = counted_cache();
  const CachingAllocator::PoolId pool = cache.begin_capture();
  void* kept = cache.allocate(5000);  // an output the caller holds past the graph
  cache.end_capture(pool);
  cache.release_pool(pool);
  cache.deallocate(kept, 5000);
  REQUIRE(cache.allocate(5000) == kept);
  cache.deallocate(kept, 5000);
}

// A CUDA free may wait for the device, which a capture forbids.
TEST_CASE("nothing goes back to the system while a capture runs", "[allocator]") {
  CachingAllocator cache = counted_cache();
  void* small = cache.allocate(4096);
  cache.deallocate(small, 4096);
  const CachingAllocator::PoolId pool = cache.begin_capture();
  cache.empty_cache();
  // A larger block would release the cached one it supersedes, outside a capture.
  void* larger = allocate_elsewhere(cache, 6144);
  REQUIRE(raw_frees == 0);
  cache.deallocate(larger, 6144);
  cache.end_capture(pool);
  cache.release_pool(pool);
  cache.empty_cache();
  REQUIRE(raw_frees == 2);
}

TEST_CASE("two graphs capture into separate pools", "[allocator]") {
  CachingAllocator cache = counted_cache();
  const CachingAllocator::PoolId first = cache.begin_capture();
  void* a = cache.allocate(700);
  cache.deallocate(a, 700);
  cache.end_capture(first);
  const CachingAllocator::PoolId second = cache.begin_capture();
  REQUIRE(second != first);
  void* b = cache.allocate(700);
  REQUIRE(b != a);  // the first graph's free block stays its own
  cache.deallocate(b, 700);
  cache.end_capture(second);
  cache.release_pool(first);
  cache.release_pool(second);
}
