#pragma once
// The per-device state CUDA kernels run with: one stream and one cuBLAS
// handle per GPU, each owned by an RAII wrapper.
//
// Note [One stream per device]
// Every kernel, cuBLAS call and device-to-device copy of a GPU is queued on
// that GPU's stream, so they run in the order the host issues them and the
// caching allocator may hand a freed block to the next op without waiting:
// an op that reuses the block is queued behind every op that used it. The
// stream is a blocking one, so the synchronous host<->device copies
// (cudaMemcpy on the legacy default stream) wait for the kernels before them.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "veil/core/device.h"

namespace veil::cuda {

class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// A cuBLAS handle bound to a stream.
class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

struct DeviceContext {
  Stream stream;
  CublasHandle cublas{stream.get()};
};

// Makes `device` (a CUDA device) the calling thread's current GPU and
// returns its context, created on first use.
DeviceContext& device_context(Device device);

inline cudaStream_t stream_for(Device device) { return device_context(device).stream.get(); }

// Waits for everything queued on the device's stream (a host read of device
// results; never inside a training step except to read the loss).
void synchronize(Device device);

}  // namespace veil::cuda
