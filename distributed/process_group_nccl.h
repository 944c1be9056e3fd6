#pragma once
// NcclProcessGroup: collectives on GPU tensors over NCCL (VEIL_WITH_NCCL).
//
//   auto mpi = distributed::process_group_from_environment();   // start-up
//   distributed::NcclProcessGroup nccl(*mpi);                    // GPU local_rank()
//
// Another group bootstraps it: rank 0 creates NCCL's unique id and the
// bootstrap group hands it to every rank. The local rank picks the GPU
// (gpu_for_local_rank in launch.h: one GPU per rank, an error when the node
// has fewer) and the group makes it current. Host values (all_gather) go
// through the bootstrap group.
//
// Note [Stream-ordered collectives]
// all_reduce_sum_ and broadcast_ are queued on the GPU's stream (Note [One
// stream per device]), behind the kernels that produce their tensors and
// ahead of those that use the result, and return without waiting: a
// training step makes no host wait for them. Failures surface at the next
// host wait for the GPU (a host read, synchronize(), the next collective's
// flow control, barrier()) through a watcher (Note [Watched device waits]):
// NCCL's asynchronous error, or a collective still unfinished `timeout`
// seconds after it was queued (a peer failed or is stuck), aborts the
// communicator, so that its kernels end, and throws an error naming rank,
// operation and (for a timeout) the seconds waited. Later calls say the
// group is broken.
//
// Flow control: queueing a collective first waits (watched) until fewer
// than two earlier ones are unfinished. The host runs at most about two
// steps ahead of the GPU, which keeps the GPU busy, and a dead peer is
// found within the timeout even when the app reads nothing for many steps:
// unbounded, the host would block inside a kernel launch once the driver's
// launch queue filled, where no timeout reaches it. (A single step queueing
// more launches than that queue holds can still block there.)
#include <atomic>
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
  // Queued on the GPU's stream; no host wait (Note [Stream-ordered
  // collectives]).
  void all_reduce_sum_(const std::vector<Tensor>& tensors) override;
  void broadcast_(const std::vector<Tensor>& tensors, int root = 0) override;
  // Returns once every rank has reached it: waits on the host.
  void barrier() override;
  std::vector<std::byte> all_gather_bytes(const void* data, std::size_t bytes) override;

  // The GPU this rank uses.
  int device() const { return device_; }

 private:
  struct Handles;  // communicator, queued collectives, watcher (RAII), out of this header
  template <typename Launch>
  void enqueue(const char* operation, const std::vector<Tensor>& tensors, Launch launch);
  std::size_t unfinished();
  void watch();
  [[noreturn]] void fail(const std::string& message);
  void check_usable(const char* operation) const;

  ProcessGroup& bootstrap_;
  std::atomic<double> timeout_seconds_{300};
  int device_ = 0;
  std::unique_ptr<Handles> handles_;
  std::atomic<bool> broken_{false};
};

}  // namespace veil::distributed
