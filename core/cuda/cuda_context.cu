// Streams and cuBLAS handles per GPU (Note [One stream per device] in
// core/cuda/cuda_context.h).
#include <array>
#include <memory>
#include <mutex>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"
#include "veil/core/cuda/stream_wait.h"
#include "veil/core/device_runtime.h"

namespace veil::cuda {

DeviceGuard::DeviceGuard(int index) {
  VEIL_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ == index) return;
  VEIL_CUDA_CHECK(cudaSetDevice(index));
  changed_ = true;
}

// Unchecked: a destructor must not throw, and the device was valid when set.
DeviceGuard::~DeviceGuard() {
  if (changed_) (void)cudaSetDevice(previous_);
}

Stream::Stream(bool non_blocking) {
  VEIL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, non_blocking ? cudaStreamNonBlocking : cudaStreamDefault));
}

Stream::~Stream() { (void)cudaStreamDestroy(stream_); }

CublasHandle::CublasHandle(cudaStream_t stream) {
  VEIL_CUBLAS_CHECK(cublas_library().create(&handle_));
  VEIL_CUBLAS_CHECK(cublas_library().set_stream(handle_, stream));
}

CublasHandle::~CublasHandle() { (void)cublas_library().destroy(handle_); }

DeviceContext& device_context(Device device) {
  VEIL_ASSERT(device.is_cuda()) << "a CUDA context for " << device;
  VEIL_CHECK(device.index >= 0 && device.index < kMaxDevices) << "GPU index " << device.index << " out of range";
  // Never destroyed: releasing streams and handles after the CUDA runtime
  // has shut down at exit would fail (as for the caching allocator).
  static auto* contexts = new std::array<std::unique_ptr<DeviceContext>, kMaxDevices>();
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto& context = (*contexts)[device.index];
  if (!context) {
    int count = 0;
    VEIL_CUDA_CHECK(cudaGetDeviceCount(&count));
    VEIL_CHECK(device.index < count) << "GPU " << device.index << " does not exist: " << count << " visible";
  }
  // The stream and handle belong to the device current when they are created.
  VEIL_CUDA_CHECK(cudaSetDevice(device.index));
  if (!context) context = std::make_unique<DeviceContext>();
  return *context;
}

namespace {
// The device this thread captures (-1: none), on that device's capture stream.
thread_local int captured_device = -1;
std::mutex capture_mutex;  // DeviceContext::capturing and capture_stream
}  // namespace

cudaStream_t stream_for(Device device) {
  DeviceContext& context = device_context(device);
  return captured_device == device.index ? context.capture_stream->get() : context.stream.get();
}

DeviceCapture::DeviceCapture(Device device) : device_(device) {
  VEIL_CHECK(captured_device < 0) << "this thread is already capturing a CUDA graph of GPU " << captured_device;
  DeviceContext& context = device_context(device);
  std::lock_guard<std::mutex> lock(capture_mutex);
  VEIL_CHECK(!context.capturing) << "a CUDA graph of " << device << " is already being captured by another thread";
  if (!context.capture_stream) context.capture_stream = std::make_unique<Stream>(/*non_blocking=*/true);
  stream_ = context.capture_stream->get();
  VEIL_CUBLAS_CHECK(cublas_library().set_stream(context.cublas.get(), stream_));
  context.capturing = true;
  captured_device = device.index;
}

// Unchecked: a destructor must not throw, and rebinding a valid handle to
// its own stream does not fail.
DeviceCapture::~DeviceCapture() {
  captured_device = -1;
  DeviceContext& context = device_context(device_);
  std::lock_guard<std::mutex> lock(capture_mutex);
  (void)cublas_library().set_stream(context.cublas.get(), context.stream.get());
  context.capturing = false;
}

bool capturing(Device device) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  VEIL_CUDA_CHECK(cudaStreamIsCapturing(stream_for(device), &status));
  return status != cudaStreamCaptureStatusNone;  // an invalidated capture still counts
}

void synchronize(Device device) {
  VEIL_CHECK(!capturing(device)) << "waiting for " << device << " inside a CUDA graph capture: a captured step "
                                 << "cannot wait for the GPU (read results after the step)";
  wait_for_stream(device, stream_for(device));
}

}  // namespace veil::cuda

namespace veil {

// For core/device_runtime.h.
void synchronize_cuda(Device device) { cuda::synchronize(device); }
bool capturing_cuda_graph(Device device) { return cuda::capturing(device); }

}  // namespace veil
