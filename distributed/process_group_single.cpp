#include "veil/distributed/process_group_single.h"

#include "veil/core/error.h"

namespace veil::distributed {

void SingleProcessGroup::all_reduce_sum_(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) VEIL_CHECK(t.defined()) << "rank 0 of 1: all_reduce_sum_ got an undefined tensor";
}

void SingleProcessGroup::broadcast_(const std::vector<Tensor>& tensors, int root) {
  VEIL_CHECK(root == 0) << "rank 0 of 1: broadcast_ from root " << root << ", but the group has one rank";
}

std::vector<std::byte> SingleProcessGroup::all_gather_bytes(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const std::byte*>(data);
  return std::vector<std::byte>(p, p + bytes);
}

}  // namespace veil::distributed
