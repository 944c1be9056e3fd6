#pragma once
// Checks of input values (labels in range, finite norms) that do not stall a
// GPU, dispatched on the tensor's device (Note [Kernel tables]).
//
// Note [Deferred device errors]
// On the CPU a check reads the values where they are and throws at once. On
// a GPU, throwing at once would mean copying the values back and waiting for
// the device (Note [Host reads]). Instead the check's kernels record the
// first failing element (lowest index, so the report is deterministic) and
// the number of failing elements in the device's failure slot, which holds one failure: the first recorded
// since the last raise. The failure is raised as veil::Error, with the same
// message the CPU gives, at the next host read of a tensor on that device
// (when the app reads the loss, at the latest) or at
// raise_device_failures(device), and the slot is cleared. Work queued after
// the failing kernel still runs: each caller says what it computes for bad
// elements meanwhile (never an out-of-bounds access).
#include <cstdint>
#include <string>

#include "veil/core/tensor.h"

namespace veil {

// What a failed check reports: the flat position of the first bad element,
// its value, the limit it was checked against (0 where there is none), how
// many elements failed, and the length of the checked tensor's rows (its
// last dimension, 1 for a scalar) so that a message can name row and column.
struct CheckFailure {
  std::int64_t index = 0;
  double value = 0;
  std::int64_t limit = 0;
  std::int64_t count = 1;
  std::int64_t row_length = 1;
};

// One kind of check, with the sentence its failure raises. Define each as a
// static object (it registers itself, so a device can name it by number).
class DeviceCheck {
 public:
  using Describe = std::string (*)(const CheckFailure& failure);
  explicit DeviceCheck(Describe describe);
  DeviceCheck(const DeviceCheck&) = delete;
  DeviceCheck& operator=(const DeviceCheck&) = delete;

  std::int32_t id() const { return id_; }  // > 0
  std::string describe(const CheckFailure& failure) const { return describe_(failure); }
  [[noreturn]] void fail(const CheckFailure& failure) const;
  static const DeviceCheck& by_id(std::int32_t id);

 private:
  Describe describe_;
  std::int32_t id_;
};

struct CheckKernels {
  // The first i with indices[i] outside [0, limit) fails `check` with
  // (i, indices[i], limit, number of such i). indices: contiguous int64.
  void (*indices_in_range)(const Tensor& indices, std::int64_t limit, const DeviceCheck& check) = nullptr;
  // The first i with values[i] NaN or infinite fails `check` with
  // (i, values[i], 0, number of such i). values: contiguous float64.
  void (*all_finite)(const Tensor& values, const DeviceCheck& check) = nullptr;
  // Raises (and clears) the failure recorded on `device`, if any. Reads only
  // what is already on the host: call it after the device's stream has
  // been waited for.
  void (*raise_recorded)(Device device) = nullptr;
};

const CheckKernels& check_kernels(Device device);

// Conveniences over the table: immediate on the CPU, deferred on a GPU.
void check_indices_in_range(const Tensor& indices, std::int64_t limit, const DeviceCheck& check);
void check_all_finite(const Tensor& values, const DeviceCheck& check);
// Waits for `device` and raises a failure recorded there (nothing on the
// CPU, whose checks have already thrown). Counts as a host read.
void raise_device_failures(Device device);

}  // namespace veil
