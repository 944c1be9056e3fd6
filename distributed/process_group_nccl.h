#pragma once
// NcclProcessGroup: collectives on GPU tensors over NCCL (VEIL_WITH_NCCL).
//
//   auto mpi = distributed::process_group_from_environment();   // start-up
//   distributed::NcclProcessGroup nccl(*mpi);                    // GPU local_rank()
//
// Another group bootstraps it: rank 0 creates NCCL's unique id and the
// bootstrap group hands it to every rank. The local rank picks the GPU
// (gpu_for_local_rank in launch.h: one GPU per rank, an error when the node
// has fewer) and the group makes it current. Collectives run
// on the group's own stream and are waited for on the host, polled against
// the timeout: a collective that does not finish in time aborts the NCCL
// communicator (so its kernels end) and throws, naming rank and operation.
// Host values (all_gather) go through the bootstrap group.
#include <memory>

#include "veil/distributed/process_group.h"

namespace veil::distributed {

class NcclProcessGroup final : public ProcessGroup {
 public:
  // Collective over `bootstrap`, which must outlive this group.
  explicit NcclProcessGroup(ProcessGroup& bootstrap, double timeout_seconds = 300);
  ~NcclProcessGroup() override;
  NcclProcessGroup(const NcclProcessGroup&) = delete;
  NcclProcessGroup& operator=(const NcclProcessGroup&) = delete;

  int rank() const override { return bootstrap_.rank(); }
  int size() const override { return bootstrap_.size(); }
  int local_rank() const override { return bootstrap_.local_rank(); }
  int local_size() const override { return bootstrap_.local_size(); }
  std::string backend() const override { return "nccl"; }
  void set_timeout(double seconds) override;
  void all_reduce_sum_(const std::vector<Tensor>& tensors) override;
  void broadcast_(const std::vector<Tensor>& tensors, int root = 0) override;
  void barrier() override;
  std::vector<std::byte> all_gather_bytes(const void* data, std::size_t bytes) override;

  // The GPU this rank uses.
  int device() const { return device_; }

 private:
  struct Handles;  // communicator, stream and scratch buffer (RAII), out of this header
  void wait(const char* operation);
  void check_usable(const char* operation) const;

  ProcessGroup& bootstrap_;
  double timeout_seconds_ = 300;
  int device_ = 0;
  std::unique_ptr<Handles> handles_;
  bool broken_ = false;
};

}  // namespace veil::distributed
