#include "veil/core/device_checks.h"

#include <mutex>
#include <vector>

#include "veil/core/device_runtime.h"
#include "veil/core/host_reads.h"
#include "veil/core/kernel_table.h"

namespace veil {

const CheckKernels& cpu_check_kernels();   // core/cpu/device_checks_cpu.cpp
const CheckKernels& cuda_check_kernels();  // core/cuda/device_checks_cuda.cu

const CheckKernels& check_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const CheckKernels* cuda_table = &cuda_check_kernels();
#else
  const CheckKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_check_kernels(), cuda_table, "device check");
}

namespace {

// Checks by id - 1. Registered during static initialisation or later;
// never removed, so a pointer stays valid.
struct Registry {
  std::mutex mutex;
  std::vector<const DeviceCheck*> checks;
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

DeviceCheck::DeviceCheck(Describe describe) : describe_(describe) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.checks.push_back(this);
  id_ = static_cast<std::int32_t>(r.checks.size());
}

// A user-facing error: the sentence alone, as VEIL_CHECK with context gives.
void DeviceCheck::fail(const CheckFailure& failure) const { throw Error(describe(failure)); }

const DeviceCheck& DeviceCheck::by_id(std::int32_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  VEIL_ASSERT(id > 0 && static_cast<std::size_t>(id) <= r.checks.size()) << "unknown device check " << id;
  return *r.checks[static_cast<std::size_t>(id) - 1];
}

void check_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) {
  VEIL_ASSERT(indices.dtype() == DType::Int64 && indices.is_contiguous()) << "index check of " << indices.dtype();
  check_kernels(indices.device()).indices_in_range(indices, limit, check);
}

void check_all_finite(const Tensor& values, const DeviceCheck& check) {
  VEIL_ASSERT(values.dtype() == DType::Float64 && values.is_contiguous()) << "finiteness check of " << values.dtype();
  check_kernels(values.device()).all_finite(values, check);
}

void raise_device_failures(Device device) {
  if (device.is_cpu()) return;
  synchronize(device);
  note_host_read(device);
}

}  // namespace veil
