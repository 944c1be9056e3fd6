#pragma once
// Note [Watched device waits]
// The host waits for a GPU at host reads (Note [Host reads]), at
// synchronize() and when it reuses a pinned staging slot (Note [Pinned
// staging]), all through core/cuda/stream_wait.h. Work queued on the GPU
// may itself wait for something outside this process: a collective
// (distributed/process_group_nccl.h) waits for its peers, and a peer that
// died would leave it, and the host wait behind it, hanging forever. So
// whoever queues such work registers a watcher for that device. While a
// device has watchers, a host wait for it polls (PollBackoff) instead of
// blocking in the driver, and runs the watchers after every poll, the last
// one included: a watcher checks what it queued (an error reported
// asynchronously, work older than its timeout) and throws to end the wait,
// having first made that work end (aborting the communicator). Core thus
// reports a failure it knows nothing about, and depends on nothing above it.
//
// Watchers may run on any thread that waits for the device, one at a time;
// a watcher must not register or unregister watchers, nor wait for a device.
#include <cstdint>
#include <functional>

#include "veil/core/device.h"

namespace veil {

// Registers `check` as a watcher of `device` for this object's lifetime.
class DeviceWaitWatch {
 public:
  DeviceWaitWatch(Device device, std::function<void()> check);
  ~DeviceWaitWatch();
  DeviceWaitWatch(const DeviceWaitWatch&) = delete;
  DeviceWaitWatch& operator=(const DeviceWaitWatch&) = delete;

 private:
  std::uint64_t id_;
};

// Whether any watcher is registered for `device`.
bool has_wait_watchers(Device device);

// Runs the watchers of `device` in registration order; the first that
// throws ends the run and its exception propagates.
void run_wait_watchers(Device device);

// Polls done() until it returns true, pausing as PollBackoff does and
// running the watchers of `device` after each poll (the successful one
// included). An exception from done() or a watcher propagates.
void poll_until(Device device, const std::function<bool()>& done);

}  // namespace veil
