#pragma once
// Note [Host reads]
// A host read hands tensor values to host code: Tensor::to_vector (and so
// Tensor::item, which goes through it) and every copy from a GPU to the CPU.
// On a GPU it waits for all the work queued before it (Note [Watched device
// waits], core/device_waits.h), so inside a training step it would stall
// the device; a step reads nothing, and the app reads its step figures
// only at check points (Note [Reads at check points],
// apps/support/step_records.h). Every host read passes through
// note_host_read(), which
// - counts it, for tests that require a step to make none. CPU tensors'
//   reads count too, so that the check means something without a GPU: on
//   the CPU the same code would read the same values back;
// - raises any failure a GPU check recorded since the last read (Note
//   [Deferred device errors], core/device_checks.h).
#include <cstdint>

#include "veil/core/device.h"

namespace veil {

// Host reads since the process started, over all threads.
std::uint64_t host_read_count();

// Called by the host-read functions named in the Note: counts the read and,
// once a copy from `from` has completed, raises that device's recorded
// check failures.
void note_host_read(Device from);

// Throws veil::Error while the calling thread captures a CUDA graph of
// `from` (Note [Captured steps], core/graphed_step.h): a graph cannot hand
// values to the host. Host reads call it before they copy, so that the
// caller gets this error rather than a failed CUDA call.
void check_host_read_allowed(Device from);

}  // namespace veil
