#include "veil/core/host_reads.h"

#include <atomic>

#include "veil/core/device_checks.h"
#include "veil/core/device_runtime.h"
#include "veil/core/error.h"

namespace veil {

namespace {
std::atomic<std::uint64_t> reads{0};
}  // namespace

std::uint64_t host_read_count() { return reads.load(std::memory_order_relaxed); }

void note_host_read(Device from) {
  reads.fetch_add(1, std::memory_order_relaxed);
  if (from.is_cuda()) check_kernels(from).raise_recorded(from);
}

void check_host_read_allowed(Device from) {
  VEIL_CHECK(!capturing_graph(from)) << "reading a " << from << " tensor on the host inside a captured CUDA graph: a "
                                     << "captured step cannot hand values to the host (return the tensor from the "
                                     << "step and read it after the step)";
}

}  // namespace veil
