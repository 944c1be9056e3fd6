#pragma once
// SingleProcessGroup: a world of one. Every collective returns its input
// (the sum over one rank is the tensor itself); it needs no launcher.
#include "veil/distributed/process_group.h"

namespace veil::distributed {

class SingleProcessGroup final : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void set_timeout(double) override {}  // never waits
  void all_reduce_sum_(const std::vector<Tensor>& tensors) override;
  void broadcast_(const std::vector<Tensor>& tensors, int root = 0) override;
  void barrier() override {}
  std::vector<std::byte> all_gather_bytes(const void* data, std::size_t bytes) override;
};

}  // namespace veil::distributed
