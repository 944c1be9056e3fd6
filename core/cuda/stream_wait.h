#pragma once
// The host waiting for a GPU's stream (nvcc and CUDA code only).
#include <cuda_runtime.h>

#include "veil/core/device.h"

namespace veil::cuda {

// Returns once everything queued on `stream` (of GPU `device`) has run.
// Blocks in the driver, or polls and runs the device's watchers while it
// has any (Note [Watched device waits] in core/device_waits.h).
void wait_for_stream(Device device, cudaStream_t stream);

}  // namespace veil::cuda
