// The CPU caching allocator: 64-byte alignment and reuse of freed blocks.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "veil/core/allocator.h"
#include "veil/core/caching_allocator.h"
#include "veil/core/tensor.h"

using namespace veil;

namespace {

bool aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % kCpuAlignment == 0; }

}  // namespace

TEST_CASE("CPU storage is 64-byte aligned for every size and dtype", "[allocator]") {
  std::vector<Tensor> keep;  // held at once, so each is a fresh or cached block
  for (std::int64_t n : {0, 1, 3, 7, 15, 16, 17, 63, 64, 65, 1000, 4097, 100003}) {
    for (DType dtype : {DType::UInt8, DType::Float32, DType::Float64, DType::Int64}) {
      Tensor t = Tensor::empty({n}, dtype);
      INFO("numel " << n << " " << dtype);
      REQUIRE(t.storage()->data() != nullptr);
      REQUIRE(aligned(t.storage()->data()));
      REQUIRE(t.storage()->nbytes() == static_cast<std::size_t>(n) * dtype_size(dtype));
      keep.push_back(t);
    }
  }
  Allocator& cpu = allocator_for(Device::cpu());
  for (std::size_t n : {1u, 5u, 64u, 100u, 999u}) {
    void* p = cpu.allocate(n);
    REQUIRE(aligned(p));
    cpu.deallocate(p, n);
  }
}

TEST_CASE("a freed block is handed out again for the same size", "[allocator]") {
  Allocator& cpu = allocator_for(Device::cpu());
  // An unusual size, so other allocations in the process do not take the block.
  constexpr std::size_t kBytes = 3 * 1024 * 1024 + 448;
  void* first = cpu.allocate(kBytes);
  cpu.deallocate(first, kBytes);
  void* second = cpu.allocate(kBytes);
  REQUIRE(second == first);
  // While that block is out, a second request of the same size gets another one.
  void* third = cpu.allocate(kBytes);
  REQUIRE(third != second);
  cpu.deallocate(third, kBytes);
  cpu.deallocate(second, kBytes);

  // Through tensors: a step that frees and re-creates the same shape reuses memory.
  const void* data = nullptr;
  {
    Tensor t = Tensor::empty({777, 13}, DType::Float64);
    data = t.storage()->data();
  }
  Tensor again = Tensor::empty({777, 13}, DType::Float64);
  REQUIRE(again.storage()->data() == data);
  // Sizes that round to the same 64-byte block share the free list.
  const void* small = nullptr;
  {
    Tensor t = Tensor::empty({1001}, DType::UInt8);  // 1001 -> 1024 bytes
    small = t.storage()->data();
  }
  Tensor rounded = Tensor::empty({1020}, DType::UInt8);  // 1020 -> 1024 bytes
  REQUIRE(rounded.storage()->data() == small);
}

TEST_CASE("empty_cache releases cached blocks and the allocator still works", "[allocator]") {
  Allocator& cpu = allocator_for(Device::cpu());
  void* p = cpu.allocate(4096);
  cpu.deallocate(p, 4096);
  cpu.empty_cache();
  void* q = cpu.allocate(4096);
  REQUIRE(aligned(q));
  cpu.deallocate(q, 4096);
}

namespace {

int raw_allocations = 0, raw_frees = 0;
void* counted_allocate(std::size_t nbytes) {
  ++raw_allocations;
  return std::aligned_alloc(kCpuAlignment, nbytes);
}
void counted_free(void* ptr) {
  ++raw_frees;
  std::free(ptr);
}

}  // namespace

// Poisson sampling draws each step's batch size anew, so every tensor of a
// step changes size every step. Before blocks were reused across size
// classes, each class a tensor's size fell in kept a block of its own, and
// the cache grew with the number of steps.
TEST_CASE("after a step at the largest batch, steps at varying smaller batches allocate nothing new", "[allocator]") {
  raw_allocations = 0;
  CachingAllocator cache("test", counted_allocate, counted_free, std::size_t{1} << 30);
  const std::size_t bytes_per_example[] = {784 * 4, 16 * 196 * 4, 25 * 256 * 4};  // a conv net's tensors
  auto step = [&](std::size_t batch) {
    std::vector<std::pair<void*, std::size_t>> held;
    for (std::size_t bytes : bytes_per_example) held.emplace_back(cache.allocate(batch * bytes), batch * bytes);
    for (auto [ptr, bytes] : held) cache.deallocate(ptr, bytes);
  };
  step(250);
  REQUIRE(raw_allocations == 3);
  std::uint64_t state = 1;
  for (int k = 0; k < 500; ++k) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    step(150 + (state >> 33) % 101);  // 150..250
  }
  REQUIRE(raw_allocations == 3);
  // A block that served a smaller request keeps its own size: the largest
  // request still finds it.
  step(250);
  REQUIRE(raw_allocations == 3);
  // A block more than twice the size class of a request is not handed out for it.
  void* small = cache.allocate(1000);
  REQUIRE(raw_allocations == 4);
  cache.deallocate(small, 1000);
}

// Each new largest batch would otherwise add blocks beside those it outgrew.
TEST_CASE("a new block releases the cached blocks it can serve in their place", "[allocator]") {
  raw_allocations = raw_frees = 0;
  CachingAllocator cache("test", counted_allocate, counted_free, std::size_t{1} << 30);
  constexpr std::size_t kMiB = 1 << 20;
  void* small = cache.allocate(kMiB / 4);  // too small to be superseded by 1.5 MiB
  void* one = cache.allocate(kMiB);
  cache.deallocate(small, kMiB / 4);
  cache.deallocate(one, kMiB);
  void* larger = cache.allocate(3 * kMiB / 2);  // over its class, so not served by the cached 1 MiB block
  REQUIRE(raw_allocations == 3);
  REQUIRE(raw_frees == 1);  // the 1 MiB block went back; the 256 KiB one stays
  void* again = cache.allocate(kMiB / 4);
  REQUIRE(again == small);
  cache.deallocate(again, kMiB / 4);
  cache.deallocate(larger, 3 * kMiB / 2);
}

namespace {

// A fake GPU memory: every block remembers the device it was made on.
std::map<void*, int> block_device;
std::map<int, int> device_allocations;

std::unique_ptr<CachingAllocator> fake_pool(int device) {
  return std::make_unique<CachingAllocator>(
      "fake:" + std::to_string(device),
      [device](std::size_t nbytes) {
        void* ptr = std::aligned_alloc(kCpuAlignment, nbytes);
        block_device[ptr] = device;
        ++device_allocations[device];
        return ptr;
      },
      [](void* ptr) {
        block_device.erase(ptr);
        std::free(ptr);
      },
      std::size_t{1} << 30);
}

}  // namespace

// One pool served every GPU before: a block freed by GPU 0 was handed to GPU 1.
TEST_CASE("each device has its own pool: a freed block goes back to its device only", "[allocator]") {
  device_allocations.clear();
  PerDeviceAllocators pools(4, fake_pool);
  REQUIRE(&pools.pool(0) == &pools.pool(0));
  REQUIRE(&pools.pool(0) != &pools.pool(1));

  void* on0 = pools.pool(0).allocate(4096);
  REQUIRE(block_device.at(on0) == 0);
  pools.pool(0).deallocate(on0, 4096);
  // Device 1 asks for the same size while device 0's block is cached: it gets a block of its own.
  void* on1 = pools.pool(1).allocate(4096);
  REQUIRE(on1 != on0);
  REQUIRE(block_device.at(on1) == 1);
  // Device 0 gets its cached block back, without a new allocation.
  REQUIRE(pools.pool(0).allocate(4096) == on0);
  REQUIRE(device_allocations[0] == 1);
  REQUIRE(device_allocations[1] == 1);
  pools.pool(0).deallocate(on0, 4096);
  pools.pool(1).deallocate(on1, 4096);

  // A block freed into the wrong pool is refused, not cached there.
  void* stray = pools.pool(2).allocate(64);
  REQUIRE_THROWS_WITH(pools.pool(3).deallocate(stray, 64), Catch::Contains("did not hand out"));
  pools.pool(2).deallocate(stray, 64);

  pools.empty_cache();
  REQUIRE(block_device.empty());
  REQUIRE_THROWS_WITH(pools.pool(4), Catch::Contains("device index 4 is out of range"));
  REQUIRE_THROWS_WITH(pools.pool(-1), Catch::Contains("device index -1 is out of range"));
}
