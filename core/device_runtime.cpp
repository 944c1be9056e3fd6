#include "veil/core/device_runtime.h"

#include "veil/core/error.h"

namespace veil {

void synchronize_cuda(Device device);  // core/cuda/cuda_context.cu, or below
bool capturing_cuda_graph(Device device);

#ifdef VEIL_WITH_CUDA
bool built_with_cuda() { return true; }
#else
bool built_with_cuda() { return false; }
int cuda_device_count() { return 0; }
void synchronize_cuda(Device device) {
  VEIL_FAIL() << "synchronize on " << device << ", but veil was built without CUDA";
}
bool capturing_cuda_graph(Device /*device*/) { return false; }
#endif

void synchronize(Device device) {
  if (device.is_cuda()) synchronize_cuda(device);
}

bool capturing_graph(Device device) { return device.is_cuda() && capturing_cuda_graph(device); }

}  // namespace veil
