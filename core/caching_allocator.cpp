#include "veil/core/caching_allocator.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "veil/core/error.h"

namespace veil {

CachingAllocator::CachingAllocator(std::string device_name, RawAllocate raw_allocate, RawFree raw_free,
                                   std::size_t max_cached_bytes)
    : device_name_(std::move(device_name)),
      raw_allocate_(std::move(raw_allocate)),
      raw_free_(std::move(raw_free)),
      max_cached_bytes_(max_cached_bytes) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, blocks] : free_)
    for (void* ptr : blocks) raw_free_(ptr);
  for (auto& [id, pool] : pools_)
    for (auto& [size, blocks] : pool.free)
      for (void* ptr : blocks) raw_free_(ptr);
}

std::size_t CachingAllocator::size_class(std::size_t nbytes) {
  const std::size_t n = nbytes == 0 ? 1 : nbytes;
  std::size_t granule = kCpuAlignment;
  if (n > 4096) granule = std::size_t{1} << (std::bit_width(n) - 1 - 3);  // a power of two, >= 512
  return (n + granule - 1) / granule * granule;
}

void* CachingAllocator::take_free(FreeLists& lists, std::size_t size, std::size_t& block) {
  const auto it = lists.lower_bound(size);
  if (it == lists.end() || it->first > size * kMaxReuseFactor) return nullptr;
  block = it->first;
  void* ptr = it->second.back();
  it->second.pop_back();
  if (it->second.empty()) lists.erase(it);
  return ptr;
}

CachingAllocator::PrivatePool* CachingAllocator::capturing_pool() {
  if (captures_ == 0) return nullptr;
  const std::thread::id self = std::this_thread::get_id();
  for (auto& [id, pool] : pools_)
    if (pool.capturing_thread == self) return &pool;
  return nullptr;
}

void CachingAllocator::adopt(void* ptr, PrivatePool& pool) { block_pool_[ptr] = pool.id; }

void* CachingAllocator::allocate(std::size_t nbytes) {
  const std::size_t size = size_class(nbytes);
  PoolId capturing = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t block = 0;
    PrivatePool* pool = capturing_pool();
    void* ptr = pool != nullptr ? take_free(pool->free, size, block) : nullptr;
    if (ptr == nullptr && (ptr = take_free(free_, size, block)) != nullptr) {
      cached_bytes_ -= block;
      if (pool != nullptr) adopt(ptr, *pool);
    }
    if (ptr != nullptr) {
      block_size_[ptr] = block;
      return ptr;
    }
    if (pool != nullptr) capturing = pool->id;
    else if (captures_ == 0) release_superseded(size);
  }
  void* ptr = raw_allocate_(size);
  if (ptr == nullptr && capturing == 0) {
    empty_cache();  // give the cached blocks back, then try once more
    ptr = raw_allocate_(size);
  }
  VEIL_CHECK(ptr != nullptr) << "out of " << device_name_ << " memory allocating " << nbytes << " bytes";
  std::lock_guard<std::mutex> lock(mutex_);
  block_size_[ptr] = size;
  if (capturing != 0) adopt(ptr, pools_.at(capturing));
  return ptr;
}

void CachingAllocator::deallocate(void* ptr, std::size_t /*nbytes*/) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  // The block's own size: it may be larger than the request it served.
  const auto it = block_size_.find(ptr);
  VEIL_CHECK(it != block_size_.end()) << device_name_ << " allocator: freeing memory it did not hand out";
  const std::size_t size = it->second;
  block_size_.erase(it);
  if (const auto owner = block_pool_.find(ptr); owner != block_pool_.end()) {
    pools_.at(owner->second).free[size].push_back(ptr);  // reserved for its graph
    return;
  }
  if (PrivatePool* pool = capturing_pool()) {
    adopt(ptr, *pool);  // the graph being captured may read it
    pool->free[size].push_back(ptr);
    return;
  }
  cache_or_free(ptr, size);
}

void CachingAllocator::cache_or_free(void* ptr, std::size_t size) {
  if (cached_bytes_ + size > max_cached_bytes_ && captures_ == 0) {
    raw_free_(ptr);
    return;
  }
  free_[size].push_back(ptr);
  cached_bytes_ += size;
}

void CachingAllocator::release_superseded(std::size_t size) {
  const auto first = free_.lower_bound(size / kMaxReuseFactor), last = free_.lower_bound(size);
  for (auto it = first; it != last; ++it) {
    for (void* ptr : it->second) raw_free_(ptr);
    cached_bytes_ -= it->first * it->second.size();
  }
  free_.erase(first, last);
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (captures_ > 0) return;  // Note [Private pools]: no device frees during a capture
  for (auto& [size, blocks] : free_)
    for (void* ptr : blocks) raw_free_(ptr);
  free_.clear();
  cached_bytes_ = 0;
}

CachingAllocator::PoolId CachingAllocator::begin_capture() {
  std::lock_guard<std::mutex> lock(mutex_);
  VEIL_ASSERT(capturing_pool() == nullptr) << device_name_ << " allocator: this thread is already capturing";
  const PoolId id = next_pool_++;
  pools_[id] = PrivatePool{id, std::this_thread::get_id(), {}};
  ++captures_;
  return id;
}

void CachingAllocator::end_capture(PoolId pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = pools_.find(pool);
  VEIL_ASSERT(it != pools_.end() && it->second.capturing_thread == std::this_thread::get_id())
      << device_name_ << " allocator: pool " << pool << " is not this thread's capture";
  it->second.capturing_thread = std::thread::id();
  --captures_;
}

void CachingAllocator::release_pool(PoolId pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = pools_.find(pool);
  VEIL_ASSERT(it != pools_.end() && it->second.capturing_thread == std::thread::id())
      << device_name_ << " allocator: releasing pool " << pool << ", which is capturing or unknown";
  for (auto& [size, blocks] : it->second.free)
    for (void* ptr : blocks) {
      block_pool_.erase(ptr);
      cache_or_free(ptr, size);
    }
  std::erase_if(block_pool_, [pool](const auto& entry) { return entry.second == pool; });  // blocks in use
  pools_.erase(it);
}

std::size_t CachingAllocator::pool_blocks(PoolId pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = pools_.find(pool);
  VEIL_CHECK(it != pools_.end()) << device_name_ << " allocator: no private pool " << pool;
  return static_cast<std::size_t>(
      std::count_if(block_pool_.begin(), block_pool_.end(), [pool](const auto& entry) { return entry.second == pool; }));
}

PerDeviceAllocators::PerDeviceAllocators(int max_devices, MakePool make_pool)
    : make_pool_(std::move(make_pool)), pools_(static_cast<std::size_t>(max_devices)) {}

CachingAllocator& PerDeviceAllocators::pool(int index) {
  VEIL_CHECK(index >= 0 && static_cast<std::size_t>(index) < pools_.size())
      << "device index " << index << " is out of range: veil supports devices 0 to " << pools_.size() - 1;
  std::lock_guard<std::mutex> lock(mutex_);
  auto& pool = pools_[static_cast<std::size_t>(index)];
  if (!pool) pool = make_pool_(index);
  return *pool;
}

void PerDeviceAllocators::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& pool : pools_)
    if (pool) pool->empty_cache();
}

}  // namespace veil
