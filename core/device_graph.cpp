#include "veil/core/device_graph.h"

#include "veil/core/error.h"

namespace veil {

// core/cuda/cuda_graph.cu, or below without CUDA.
std::unique_ptr<DeviceGraph> capture_cuda_graph(Device device, const std::function<void()>& record);

#ifndef VEIL_WITH_CUDA
std::unique_ptr<DeviceGraph> capture_cuda_graph(Device device, const std::function<void()>& /*record*/) {
  VEIL_FAIL() << "capturing a CUDA graph of " << device << ", but veil was built without CUDA";
  throw;  // not reached
}
#endif

std::unique_ptr<DeviceGraph> capture_device_graph(Device device, const std::function<void()>& record) {
  VEIL_CHECK(device.is_cuda()) << "graphs record GPU work; work on " << device << " runs directly";
  return capture_cuda_graph(device, record);
}

}  // namespace veil
