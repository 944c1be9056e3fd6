// The caching CUDA allocator (Note [Caching allocators] in core/allocator.h)
// and the device queries.
#include <map>
#include <mutex>
#include <vector>

#include "veil/core/allocator.h"
#include "veil/core/cuda/cuda_check.h"

namespace veil {

namespace {

class CudaCachingAllocator final : public Allocator {
 public:
  void* allocate(std::size_t nbytes) override {
    const std::size_t size = round_up(nbytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        return ptr;
      }
    }
    void* ptr = nullptr;
    if (cudaMalloc(&ptr, size) != cudaSuccess) {
      (void)cudaGetLastError();  // clear the error, free the cache, try once more
      empty_cache();
      VEIL_CUDA_CHECK(cudaMalloc(&ptr, size));
    }
    return ptr;
  }

  void deallocate(void* ptr, std::size_t nbytes) override {
    if (ptr == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    free_[round_up(nbytes)].push_back(ptr);
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* ptr : blocks) cudaFree(ptr);
    free_.clear();
  }

 private:
  static std::size_t round_up(std::size_t nbytes) { return (nbytes + 511) / 512 * 512; }
  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;
};

}  // namespace

Allocator& cuda_allocator() {
  // Never destroyed: freeing device memory after the CUDA runtime has shut
  // down at exit would fail.
  static auto* allocator = new CudaCachingAllocator();
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
