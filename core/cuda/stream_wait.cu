#include "veil/core/cuda/stream_wait.h"

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/device_waits.h"

// Without watchers nothing queued can wait forever, and the driver's wait
// costs no CPU time.
namespace veil::cuda {

namespace {

// Whether a polled stream or event has finished; throws on an error.
bool finished(cudaError_t cuda_query_status) {
  if (cuda_query_status == cudaErrorNotReady) return false;
  VEIL_CUDA_CHECK(cuda_query_status);
  return true;
}

}  // namespace

void wait_for_stream(Device device, cudaStream_t stream) {
  if (!has_wait_watchers(device)) {
    VEIL_CUDA_CHECK(cudaStreamSynchronize(stream));
    return;
  }
  poll_until(device, [stream] { return finished(cudaStreamQuery(stream)); });
}

void wait_for_event(Device device, cudaEvent_t event) {
  if (!has_wait_watchers(device)) {
    VEIL_CUDA_CHECK(cudaEventSynchronize(event));
    return;
  }
  poll_until(device, [event] { return finished(cudaEventQuery(event)); });
}

}  // namespace veil::cuda
