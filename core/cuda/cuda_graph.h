#pragma once
// CudaGraph: the CUDA side of core/device_graph.h, RAII over the captured
// graph, its executable instance and the allocator's private pool.
//
// Note [CUDA graph capture]
// The capture records the calling thread's work on the device's capture
// stream (Note [Capturing a device's work], core/cuda/cuda_context.h) in
// cudaStreamCaptureModeThreadLocal: the capturing thread may not make calls
// a graph cannot hold (a synchronous copy, a wait, a plain cudaMalloc),
// while the data loader's thread goes on copying batches on the device's
// stream. Its allocations come from a private pool (Note [Private pools],
// core/caching_allocator.h); the rare block the warmed-up cache lacks is
// allocated with the thread's capture mode relaxed for that one call
// (cudaMalloc is not stream work, so the graph only records the address,
// which the pool keeps reserved). Replays go on the device's stream.
#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <type_traits>

#include "veil/core/caching_allocator.h"
#include "veil/core/device_graph.h"

namespace veil::cuda {

class CudaGraph final : public DeviceGraph {
 public:
  // Records what `record` queues on `device` from this thread, and makes
  // the graph ready to launch. Throws with the failing call's name.
  CudaGraph(Device device, const std::function<void()>& record);
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void replay() override;

 private:
  // The graph's private pool: capturing until end_capture(), released last.
  class Pool {
   public:
    explicit Pool(CachingAllocator& allocator) : allocator_(allocator), id_(allocator.begin_capture()) {}
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    void end_capture();

   private:
    CachingAllocator& allocator_;
    CachingAllocator::PoolId id_;
    bool capturing_ = true;
  };
  struct GraphDestroy {
    void operator()(cudaGraph_t graph) const { (void)cudaGraphDestroy(graph); }
  };
  struct ExecDestroy {
    void operator()(cudaGraphExec_t exec) const { (void)cudaGraphExecDestroy(exec); }
  };

  Device device_;
  // Destroyed in reverse order: the executable graph, the graph, then the
  // pool (a launch still queued completes first: the blocks go back to the
  // cache, and whoever takes one queues behind the launch).
  Pool pool_;
  std::unique_ptr<std::remove_pointer_t<cudaGraph_t>, GraphDestroy> graph_;
  std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, ExecDestroy> exec_;
};

}  // namespace veil::cuda
