// CPU checks (core/device_checks.h): the values are here, so a failure
// throws at once.
#include <cmath>

#include "veil/core/device_checks.h"

namespace veil {
namespace {

void cpu_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) {
  const std::int64_t* p = indices.data<std::int64_t>();
  for (std::int64_t i = 0; i < indices.numel(); ++i)
    if (p[i] < 0 || p[i] >= limit) check.fail({i, static_cast<double>(p[i]), limit});
}

void cpu_all_finite(const Tensor& values, const DeviceCheck& check) {
  const double* p = values.data<double>();
  for (std::int64_t i = 0; i < values.numel(); ++i)
    if (!std::isfinite(p[i])) check.fail({i, p[i], 0});
}

void cpu_raise_recorded(Device) {}  // nothing is ever recorded: checks threw

}  // namespace

const CheckKernels& cpu_check_kernels() {
  static const CheckKernels kernels{cpu_indices_in_range, cpu_all_finite, cpu_raise_recorded};
  return kernels;
}

}  // namespace veil
