// Capture and replay of one CUDA graph (Note [CUDA graph capture] in
// core/cuda/cuda_graph.h).
#include "veil/core/cuda/cuda_graph.h"

#include "veil/core/allocator.h"
#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"

namespace veil::cuda {

namespace {

CachingAllocator& caching_allocator(Device device) {
  auto* caching = dynamic_cast<CachingAllocator*>(&allocator_for(device));
  VEIL_ASSERT(caching != nullptr) << "the allocator of " << device << " is not a caching allocator";
  return *caching;
}

}  // namespace

CudaGraph::Pool::~Pool() {
  end_capture();
  allocator_.release_pool(id_);
}

void CudaGraph::Pool::end_capture() {
  if (!capturing_) return;
  capturing_ = false;
  allocator_.end_capture(id_);
}

CudaGraph::CudaGraph(Device device, const std::function<void()>& record)
    : device_(device), pool_(caching_allocator(device)) {
  cudaGraph_t graph = nullptr;
  {
    const DeviceCapture capture(device);
    VEIL_CUDA_CHECK(cudaStreamBeginCapture(capture.stream(), cudaStreamCaptureModeThreadLocal));
    try {
      record();
    } catch (...) {
      // End the capture so that the stream works again; discard what it recorded.
      (void)cudaStreamEndCapture(capture.stream(), &graph);
      if (graph != nullptr) (void)cudaGraphDestroy(graph);
      (void)cudaGetLastError();
      throw;
    }
    const cudaError_t ended = cudaStreamEndCapture(capture.stream(), &graph);
    pool_.end_capture();
    if (graph != nullptr) graph_.reset(graph);
    VEIL_CHECK(ended == cudaSuccess && graph != nullptr)
        << "cudaStreamEndCapture: " << cudaGetErrorString(ended)
        << " (the captured step made a call that a CUDA graph cannot hold)";
  }
  cudaGraphExec_t exec = nullptr;
  VEIL_CUDA_CHECK(cudaGraphInstantiate(&exec, graph_.get(), 0));
  exec_.reset(exec);
  // Moves the graph to the device now rather than at its first launch.
  VEIL_CUDA_CHECK(cudaGraphUpload(exec_.get(), stream_for(device_)));
}

void CudaGraph::replay() { VEIL_CUDA_CHECK(cudaGraphLaunch(exec_.get(), stream_for(device_))); }

}  // namespace veil::cuda

namespace veil {

// For core/device_graph.cpp.
std::unique_ptr<DeviceGraph> capture_cuda_graph(Device device, const std::function<void()>& record) {
  return std::make_unique<cuda::CudaGraph>(device, record);
}

}  // namespace veil
