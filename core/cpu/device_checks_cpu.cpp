// CPU checks (core/device_checks.h): the values are here, so a failure
// throws at once.
#include <cmath>

#include "veil/core/device_checks.h"

namespace veil {
namespace {

std::int64_t row_length(const Tensor& t) { return t.dim() == 0 ? 1 : t.shape().back(); }

// Fails `check` with the first element for which bad(i) holds, counting all.
template <typename Bad, typename Value>
void fail_first(const Tensor& t, std::int64_t limit, const DeviceCheck& check, Bad bad, Value value) {
  std::int64_t first = -1, count = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    if (!bad(i)) continue;
    if (count++ == 0) first = i;
  }
  if (count > 0) check.fail({first, value(first), limit, count, row_length(t)});
}

void cpu_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) {
  const std::int64_t* p = indices.data<std::int64_t>();
  fail_first(
      indices, limit, check, [&](std::int64_t i) { return p[i] < 0 || p[i] >= limit; },
      [&](std::int64_t i) { return static_cast<double>(p[i]); });
}

void cpu_all_finite(const Tensor& values, const DeviceCheck& check) {
  const double* p = values.data<double>();
  fail_first(
      values, 0, check, [&](std::int64_t i) { return !std::isfinite(p[i]); }, [&](std::int64_t i) { return p[i]; });
}

void cpu_raise_recorded(Device) {}  // nothing is ever recorded: checks threw

}  // namespace

const CheckKernels& cpu_check_kernels() {
  static const CheckKernels kernels{cpu_indices_in_range, cpu_all_finite, cpu_raise_recorded};
  return kernels;
}

}  // namespace veil
