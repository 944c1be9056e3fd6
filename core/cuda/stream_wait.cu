#include "veil/core/cuda/stream_wait.h"

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/device_waits.h"

namespace veil::cuda {

void wait_for_stream(Device device, cudaStream_t stream) {
  // Without watchers nothing queued can wait forever, and the driver's wait
  // costs no CPU time.
  if (!has_wait_watchers(device)) {
    VEIL_CUDA_CHECK(cudaStreamSynchronize(stream));
    return;
  }
  poll_until(device, [stream] {
    const cudaError_t status = cudaStreamQuery(stream);
    if (status == cudaErrorNotReady) return false;
    VEIL_CUDA_CHECK(status);
    return true;
  });
}

}  // namespace veil::cuda
