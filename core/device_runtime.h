#pragma once
// What the build and the machine offer beyond where a tensor lives
// (core/device.h): whether veil was built with CUDA, and waiting for a
// device's queued work.
#include "veil/core/device.h"

namespace veil {

// True when veil was built with CUDA, whether or not a GPU is visible.
bool built_with_cuda();

// Waits until the work queued on `device` has finished: GPU kernels run
// asynchronously, so a timer must wait for them. Nothing to wait for on the
// CPU.
void synchronize(Device device);

}  // namespace veil
