#pragma once
// Host-to-GPU copies that do not wait for the GPU.
//
// Note [Pinned staging]
// A copy from ordinary (pageable) host memory cannot run asynchronously: the
// driver may wait for the stream before it copies. HostStaging copies the
// bytes into one of a few pinned host slots, queues the DMA from that slot on
// the device's stream and returns; the caller may free or change its buffer
// at once. A slot is written again only after the event recorded behind its
// last copy has fired, long done by then in a training loop, so the host
// waits for the GPU only when it runs more than kSlots copies ahead. The
// destination is written in stream order, before any later kernel on that
// stream reads it (Note [One stream per device]). Larger copies go through
// the slots in pieces.
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <mutex>

namespace veil::cuda {

class HostStaging {
 public:
  static constexpr int kSlots = 4;
  static constexpr std::size_t kSlotBytes = std::size_t{4} << 20;

  HostStaging() = default;
  ~HostStaging();
  HostStaging(const HostStaging&) = delete;
  HostStaging& operator=(const HostStaging&) = delete;

  // Queues a copy of `bytes` bytes from host memory `src` to device memory
  // `dst` on `stream` (of the current GPU), through the pinned slots.
  void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);

 private:
  struct Slot {
    void* pinned = nullptr;         // kSlotBytes of pinned host memory, allocated on first use
    cudaEvent_t done = nullptr;     // recorded behind the slot's last copy
  };
  std::mutex mutex_;  // the loader's thread and the training thread both copy
  std::array<Slot, kSlots> slots_{};
  int next_ = 0;
};

}  // namespace veil::cuda
