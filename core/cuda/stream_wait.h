#pragma once
// The host waiting for a GPU (nvcc and CUDA code only). Both wait in the
// driver, or poll and run the device's watchers while it has any (Note
// [Watched device waits] in core/device_waits.h).
#include <cuda_runtime.h>

#include "veil/core/device.h"

namespace veil::cuda {

// Returns once everything queued on `stream` (of GPU `device`) has run.
void wait_for_stream(Device device, cudaStream_t stream);

// Returns once the work before `event`'s last record (on GPU `device`) has
// run.
void wait_for_event(Device device, cudaEvent_t event);

}  // namespace veil::cuda
