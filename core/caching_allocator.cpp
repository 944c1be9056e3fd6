#include "veil/core/caching_allocator.h"

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

CachingAllocator::~CachingAllocator() { empty_cache(); }

std::size_t CachingAllocator::size_class(std::size_t nbytes) {
  const std::size_t n = nbytes == 0 ? 1 : nbytes;
  std::size_t granule = kCpuAlignment;
  if (n > 4096) granule = std::size_t{1} << (std::bit_width(n) - 1 - 3);  // a power of two, >= 512
  return (n + granule - 1) / granule * granule;
}

void* CachingAllocator::allocate(std::size_t nbytes) {
  const std::size_t size = size_class(nbytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.lower_bound(size);
    if (it != free_.end() && it->first <= size * kMaxReuseFactor) {
      const std::size_t block = it->first;
      void* ptr = it->second.back();
      it->second.pop_back();
      if (it->second.empty()) free_.erase(it);
      cached_bytes_ -= block;
      block_size_[ptr] = block;
      return ptr;
    }
    release_superseded(size);
  }
  void* ptr = raw_allocate_(size);
  if (ptr == nullptr) {
    empty_cache();  // give the cached blocks back, then try once more
    ptr = raw_allocate_(size);
  }
  VEIL_CHECK(ptr != nullptr) << "out of " << device_name_ << " memory allocating " << nbytes << " bytes";
  std::lock_guard<std::mutex> lock(mutex_);
  block_size_[ptr] = size;
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
  if (cached_bytes_ + size > max_cached_bytes_) {
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
  for (auto& [size, blocks] : free_)
    for (void* ptr : blocks) raw_free_(ptr);
  free_.clear();
  cached_bytes_ = 0;
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
