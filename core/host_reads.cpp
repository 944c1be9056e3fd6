#include "veil/core/host_reads.h"

#include <atomic>

#include "veil/core/device_checks.h"

namespace veil {

namespace {
std::atomic<std::uint64_t> reads{0};
}  // namespace

std::uint64_t host_read_count() { return reads.load(std::memory_order_relaxed); }

void note_host_read(Device from) {
  reads.fetch_add(1, std::memory_order_relaxed);
  if (from.is_cuda()) check_kernels(from).raise_recorded(from);
}

}  // namespace veil
