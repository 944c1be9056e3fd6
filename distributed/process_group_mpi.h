#pragma once
// MpiProcessGroup: the ranks started by mpirun or srun, with CPU tensors
// (VEIL_WITH_MPI). It also starts the run: the NCCL group takes its unique id
// from here.
//
// Collectives are non-blocking MPI calls polled against a deadline: one that
// waits longer than `timeout_seconds` for the other ranks throws instead of
// hanging, and the group refuses further collectives (MPI cannot cancel the
// pending one). Collectives run on a duplicate of MPI_COMM_WORLD whose errors
// are returned and checked, never fatal.
#include <memory>

#include "veil/distributed/process_group.h"

namespace veil::distributed {

struct MpiOptions {
  double timeout_seconds = 300;  // how long a collective waits for the other ranks
};

class MpiProcessGroup final : public ProcessGroup {
 public:
  // Initialises MPI unless something else already did (and then finalises it
  // in the destructor).
  explicit MpiProcessGroup(const MpiOptions& options = {});
  ~MpiProcessGroup() override;
  MpiProcessGroup(const MpiProcessGroup&) = delete;
  MpiProcessGroup& operator=(const MpiProcessGroup&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string backend() const override { return "mpi"; }
  void all_reduce_sum_(const std::vector<Tensor>& tensors) override;
  void broadcast_(const std::vector<Tensor>& tensors, int root = 0) override;
  void barrier() override;
  std::vector<std::byte> all_gather_bytes(const void* data, std::size_t bytes) override;

  void set_timeout(double seconds) override;

 private:
  struct Comm;  // MPI handles, kept out of this header
  // Polls the started requests until all complete or the deadline passes.
  void wait_all(const char* operation);
  void check(int status, const char* operation);  // throws naming the rank; marks the group broken
  void check_usable(const char* operation) const;

  MpiOptions options_;
  std::unique_ptr<Comm> comm_;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  bool owns_mpi_ = false;
  bool broken_ = false;  // a collective failed or timed out
};

}  // namespace veil::distributed
