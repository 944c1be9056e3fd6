#pragma once
// What the build and the machine offer beyond where a tensor lives
// (core/device.h): whether veil was built with CUDA, how many GPUs are
// visible, and waiting for a device's queued work.
#include "veil/core/device.h"

namespace veil {

// True when veil was built with CUDA, whether or not a GPU is visible.
bool built_with_cuda();

// The GPUs this process can see: 0 without CUDA, without a driver or
// without a GPU.
int cuda_device_count();

// Waits until the work queued on `device` has finished: GPU kernels run
// asynchronously, so a timer must wait for them. Nothing to wait for on the
// CPU.
void synchronize(Device device);

// Whether the calling thread is capturing a CUDA graph of `device`'s work
// (Note [Captured steps], core/graphed_step.h). False on the CPU.
bool capturing_graph(Device device);

}  // namespace veil
