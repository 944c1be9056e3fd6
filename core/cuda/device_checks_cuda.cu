// CUDA checks (core/device_checks.h), deferred as Note [Deferred device
// errors] says. Each device's failure slot lives in pinned host memory
// mapped into the device, so raising reads host memory after a wait and
// needs no copy. A check is two launches on the device's stream: every
// thread with a bad element counts it and offers n - its index to an
// integer atomicMax (exact, so the lowest index wins whatever the schedule,
// and a zeroed tally means no failure), then one thread records that
// element unless the slot already holds an earlier failure.
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
  std::int64_t count;
  std::int64_t row_length;
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

// The device-side tally of a check: [0] n - first bad index (0: none),
// [1] the number of bad elements.
struct Tally {
  Tensor holder;
  explicit Tally(Device device) : holder(Tensor::zeros({2}, DType::Int64, device)) {}
  unsigned long long* first() const { return reinterpret_cast<unsigned long long*>(holder.data<std::int64_t>()); }
  unsigned long long* count() const { return first() + 1; }
};

std::int64_t row_length(const Tensor& t) { return t.dim() == 0 ? 1 : t.shape().back(); }

// Records the tallied failure of a check over `values` (n elements) when
// there is one and the slot is empty; the failing value comes from `ints`
// or, when that is null, from `doubles`.
void record_first(const Tensor& values, const Tally& tally, std::int64_t limit, const DeviceCheck& check,
                  const std::int64_t* ints, const double* doubles) {
  const Device device = values.device();
  volatile FailureSlot* host_slot = slot_for(device);
  FailureSlot* slot = nullptr;
  VEIL_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&slot), const_cast<FailureSlot*>(host_slot), 0));
  const unsigned long long* first = tally.first();
  const unsigned long long* count = tally.count();
  const std::int64_t n = values.numel(), row = row_length(values);
  const std::int32_t id = check.id();
  cuda::for_each_index("device check record", device, 1, [=] __device__(std::int64_t) {
    volatile FailureSlot* s = slot;
    if (*first == 0 || s->check != 0) return;
    const std::int64_t i = n - static_cast<std::int64_t>(*first);
    s->index = i;
    s->value = ints != nullptr ? static_cast<double>(ints[i]) : doubles[i];
    s->limit = limit;
    s->count = static_cast<std::int64_t>(*count);
    s->row_length = row;
    __threadfence_system();  // the fields before the id that publishes them
    s->check = id;
  });
}

// Tallies element k, found bad, of a check over n elements.
__device__ void tally_bad(unsigned long long* first, unsigned long long* count, std::int64_t n, std::int64_t k) {
  atomicMax(first, static_cast<unsigned long long>(n - k));
  atomicAdd(count, 1ULL);
}

void cuda_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) {
  const std::int64_t n = indices.numel();
  if (n == 0) return;
  const Tally tally(indices.device());
  const std::int64_t* p = indices.data<std::int64_t>();
  unsigned long long *first = tally.first(), *count = tally.count();
  cuda::for_each_index("index range check", indices.device(), n, [=] __device__(std::int64_t k) {
    if (p[k] < 0 || p[k] >= limit) tally_bad(first, count, n, k);
  });
  record_first(indices, tally, limit, check, p, nullptr);
}

void cuda_all_finite(const Tensor& values, const DeviceCheck& check) {
  const std::int64_t n = values.numel();
  if (n == 0) return;
  const Tally tally(values.device());
  const double* p = values.data<double>();
  unsigned long long *first = tally.first(), *count = tally.count();
  cuda::for_each_index("finiteness check", values.device(), n, [=] __device__(std::int64_t k) {
    if (!isfinite(p[k])) tally_bad(first, count, n, k);
  });
  record_first(values, tally, 0, check, nullptr, p);
}

void cuda_raise_recorded(Device device) {
  volatile FailureSlot* slot = slot_for(device);
  const std::int32_t id = slot->check;
  if (id == 0) return;
  const CheckFailure failure{slot->index, slot->value, slot->limit, slot->count, slot->row_length};
  slot->check = 0;
  DeviceCheck::by_id(id).fail(failure);
}

}  // namespace

const CheckKernels& cuda_check_kernels() {
  static const CheckKernels kernels{cuda_indices_in_range, cuda_all_finite, cuda_raise_recorded};
  return kernels;
}

}  // namespace veil
