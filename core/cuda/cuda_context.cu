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

Stream::Stream() { VEIL_CUDA_CHECK(cudaStreamCreate(&stream_)); }

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

void synchronize(Device device) { wait_for_stream(device, stream_for(device)); }

}  // namespace veil::cuda

namespace veil {

void synchronize_cuda(Device device) { cuda::synchronize(device); }  // for core/device_runtime.h

}  // namespace veil
