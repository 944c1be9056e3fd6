#pragma once
// The per-device state CUDA kernels run with: one stream, one cuBLAS handle
// and the pinned staging slots of host-to-GPU copies per GPU, each owned by
// an RAII wrapper. (cuDNN's handle is core/cuda/cudnn_handle.h's, made only
// when a convolution takes the cuDNN route.)
//
// Note [One stream per device]
// Every kernel, cuBLAS call and device-to-device copy of a GPU is queued on
// that GPU's stream, so they run in the order the host issues them and the
// caching allocator may hand a freed block to the next op without waiting:
// an op that reuses the block is queued behind every op that used it.
// Copies to the host are queued on the stream too, after the host has waited
// for the work before them (Note [Watched device waits]); host-to-GPU copies
// of tensors are queued from pinned slots (Note [Pinned staging]) and do not
// wait at all.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>

#include "veil/core/cuda/host_staging.h"
#include "veil/core/device.h"

namespace veil::cuda {

// The most GPUs one process addresses (contexts and allocator pools are
// tables of this size).
constexpr int kMaxDevices = 64;

// Makes GPU `index` the calling thread's current device for its lifetime,
// then restores the previous one (for runtime calls that act on the current
// device, such as cudaMalloc).
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
  bool changed_ = false;
};

class Stream {
 public:
  // A blocking stream (ordered with the legacy default stream) unless
  // `non_blocking`.
  explicit Stream(bool non_blocking = false);
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
  HostStaging staging;
  std::unique_ptr<Stream> capture_stream;  // made by the first DeviceCapture
  bool capturing = false;                  // a DeviceCapture of this device exists
};

// Makes `device` (a CUDA device) the calling thread's current GPU and
// returns its context, created on first use.
DeviceContext& device_context(Device device);

// The stream the calling thread queues `device`'s work on: the device's
// stream, or its capture stream while the thread captures the device.
cudaStream_t stream_for(Device device);

// Note [Capturing a device's work]
// A CUDA graph records the work queued on one stream while it captures, from
// any thread. The data loader's thread queues its batches' copies on the
// device's stream at any time, and must not slip one into a graph; so the
// capturing thread queues its work on a capture stream of its own instead:
// stream_for() returns it to that thread only, and the cuBLAS and cuDNN
// handles are bound to it for the capture. Graphs are replayed on the
// device's stream, in order with everything else (Note [One stream per
// device]). The capture stream is non-blocking, so that another thread's use
// of the legacy default stream cannot join the capture. One thread computes
// on a device: a second thread's kernels or GEMMs during a capture would be
// queued on the device's stream and its cuBLAS calls on the capture stream.
class DeviceCapture {
 public:
  // Until destroyed, the calling thread's work for `device` goes to the
  // capture stream, which the caller captures. Throws while another capture
  // of the device exists.
  explicit DeviceCapture(Device device);
  ~DeviceCapture();
  DeviceCapture(const DeviceCapture&) = delete;
  DeviceCapture& operator=(const DeviceCapture&) = delete;

  cudaStream_t stream() const { return stream_; }

 private:
  Device device_;
  cudaStream_t stream_ = nullptr;
};

// Whether the calling thread's stream for `device` is being captured.
bool capturing(Device device);

// Waits for everything queued on the device's stream (a host read of device
// results; never inside a training step, Note [Host reads]). Throws while
// the calling thread captures the device.
void synchronize(Device device);

}  // namespace veil::cuda
