#pragma once
// A recording of the work a step queues on a GPU, replayed with one launch
// (Note [Captured steps], core/graphed_step.h). The CUDA side is
// core/cuda/cuda_graph.h.
#include <functional>
#include <memory>

#include "veil/core/device.h"

namespace veil {

class DeviceGraph {
 public:
  virtual ~DeviceGraph() = default;
  // Queues the recorded work on the device's stream, after everything queued
  // there before; it reads and writes the buffers the recording used.
  virtual void replay() = 0;
};

// Runs `record` once on the calling thread, recording rather than running
// the work it queues on `device` (a GPU); what it allocates comes from a
// private pool that stays reserved while the graph lives (Note [Private
// pools], core/caching_allocator.h). Throws, keeping nothing, when `record`
// throws or queues what a graph cannot hold, for a CPU device, and without
// CUDA.
std::unique_ptr<DeviceGraph> capture_device_graph(Device device, const std::function<void()>& record);

}  // namespace veil
