// Pinned staging of host-to-GPU copies (Note [Pinned staging] in
// core/cuda/host_staging.h).
#include <algorithm>
#include <cstring>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/host_staging.h"
#include "veil/core/cuda/stream_wait.h"

namespace veil::cuda {

// Unchecked: destructors must not throw. Contexts live for the process, so
// this runs only if one is ever released.
HostStaging::~HostStaging() {
  for (Slot& slot : slots_) {
    if (slot.done) {
      (void)cudaEventSynchronize(slot.done);
      (void)cudaEventDestroy(slot.done);
    }
    if (slot.pinned) (void)cudaFreeHost(slot.pinned);
  }
}

void HostStaging::copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t offset = 0; offset < bytes; offset += kSlotBytes) {
    const std::size_t piece = std::min(kSlotBytes, bytes - offset);
    Slot& slot = slots_[next_];
    next_ = (next_ + 1) % kSlots;
    if (slot.pinned == nullptr) {
      VEIL_CUDA_CHECK(cudaHostAlloc(&slot.pinned, kSlotBytes, cudaHostAllocDefault));
      VEIL_CUDA_CHECK(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming));
    } else {
      // Its previous copy has left the slot. Watched: that copy may be
      // queued behind a collective whose peer died.
      int gpu = 0;
      VEIL_CUDA_CHECK(cudaGetDevice(&gpu));
      wait_for_event(Device::cuda(gpu), slot.done);
    }
    std::memcpy(slot.pinned, static_cast<const char*>(src) + offset, piece);
    VEIL_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + offset, slot.pinned, piece, cudaMemcpyHostToDevice,
                                    stream));
    VEIL_CUDA_CHECK(cudaEventRecord(slot.done, stream));
  }
}

}  // namespace veil::cuda
