// CUDA checks (core/device_checks.h), deferred as Note [Deferred device
// errors] says. Each device's failure slot lives in pinned host memory
// mapped into the device, so raising reads host memory after a wait and
// needs no copy. A check is two launches on the device's stream: every
// thread offers its bad index to an integer atomicMin (exact, so the lowest
// index wins whatever the schedule), then one thread records that element
// unless the slot already holds an earlier failure.
#include <array>
#include <cmath>
#include <mutex>

#include "veil/core/cuda/launch.h"
#include "veil/core/device_checks.h"

namespace veil {
namespace {

struct FailureSlot {
  std::int32_t check;  // 0: empty; else the DeviceCheck id
  std::int64_t index;
  double value;
  std::int64_t limit;
};

constexpr int kMaxDevices = 64;

// The slot of `device`, allocated on first use and kept for the process.
volatile FailureSlot* slot_for(Device device) {
  static std::mutex mutex;
  static std::array<FailureSlot*, kMaxDevices> slots{};
  VEIL_ASSERT(device.index >= 0 && device.index < kMaxDevices) << "GPU ordinal " << device.index;
  std::lock_guard<std::mutex> lock(mutex);
  FailureSlot*& slot = slots[static_cast<std::size_t>(device.index)];
  if (slot == nullptr) {
    void* host = nullptr;
    VEIL_CUDA_CHECK(cudaHostAlloc(&host, sizeof(FailureSlot), cudaHostAllocMapped | cudaHostAllocPortable));
    slot = static_cast<FailureSlot*>(host);
    slot->check = 0;
  }
  return slot;
}

// Records element `first` of a check over n elements when it is a failure
// (first < n) and the slot is empty; its value comes from `ints` or, when
// that is null, from `doubles`.
void record_first(Device device, const Tensor& first_holder, std::int64_t n, std::int64_t limit,
                  const DeviceCheck& check, const std::int64_t* ints, const double* doubles) {
  volatile FailureSlot* host_slot = slot_for(device);
  FailureSlot* slot = nullptr;
  VEIL_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&slot), const_cast<FailureSlot*>(host_slot), 0));
  const std::int64_t* first = first_holder.data<std::int64_t>();
  const std::int32_t id = check.id();
  cuda::for_each_index("device check record", device, 1, [=] __device__(std::int64_t) {
    volatile FailureSlot* s = slot;
    const std::int64_t i = *first;
    if (i >= n || s->check != 0) return;
    s->index = i;
    s->value = ints != nullptr ? static_cast<double>(ints[i]) : doubles[i];
    s->limit = limit;
    __threadfence_system();  // the fields before the id that publishes them
    s->check = id;
  });
}

// An int64 [1] holding n, the "no failure" answer of the atomicMin.
Tensor no_failure(const Tensor& values) {
  return Tensor::full({1}, static_cast<double>(values.numel()), DType::Int64, values.device());
}

void cuda_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) {
  const std::int64_t n = indices.numel();
  if (n == 0) return;
  const Tensor first = no_failure(indices);
  const std::int64_t* p = indices.data<std::int64_t>();
  auto* found = reinterpret_cast<unsigned long long*>(first.data<std::int64_t>());
  cuda::for_each_index("index range check", indices.device(), n, [=] __device__(std::int64_t k) {
    if (p[k] < 0 || p[k] >= limit) atomicMin(found, static_cast<unsigned long long>(k));
  });
  record_first(indices.device(), first, n, limit, check, p, nullptr);
}

void cuda_all_finite(const Tensor& values, const DeviceCheck& check) {
  const std::int64_t n = values.numel();
  if (n == 0) return;
  const Tensor first = no_failure(values);
  const double* p = values.data<double>();
  auto* found = reinterpret_cast<unsigned long long*>(first.data<std::int64_t>());
  cuda::for_each_index("finiteness check", values.device(), n, [=] __device__(std::int64_t k) {
    if (!isfinite(p[k])) atomicMin(found, static_cast<unsigned long long>(k));
  });
  record_first(values.device(), first, n, 0, check, nullptr, p);
}

void cuda_raise_recorded(Device device) {
  volatile FailureSlot* slot = slot_for(device);
  const std::int32_t id = slot->check;
  if (id == 0) return;
  const CheckFailure failure{slot->index, slot->value, slot->limit};
  slot->check = 0;
  DeviceCheck::by_id(id).fail(failure);
}

}  // namespace

const CheckKernels& cuda_check_kernels() {
  static const CheckKernels kernels{cuda_indices_in_range, cuda_all_finite, cuda_raise_recorded};
  return kernels;
}

}  // namespace veil
