#pragma once
// ProcessGroup: the workers of a data-parallel run and their collectives
// (DESIGN.md, "Distributed"). It is passed explicitly; there is no global
// communicator.
//
//   auto group = distributed::process_group_from_environment();  // launch.h
//   distributed::DPDDP ddp(model, *group);                        // rank 0's weights everywhere
//
// Backends: SingleProcessGroup (always built), MpiProcessGroup (CPU tensors;
// VEIL_WITH_MPI) and NcclProcessGroup (GPU tensors; VEIL_WITH_NCCL).
//
// Every rank must call the same collectives in the same order with tensors of
// the same shapes and dtypes. Tensors must be contiguous and on the backend's
// device. A failed collective throws veil::Error naming the rank and the
// operation; so does one that waits longer than the group's timeout for the
// other ranks (a rank that died or is stuck), so no rank hangs for ever.
#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/privacy/gradient_reducer.h"

namespace veil::distributed {

class ProcessGroup : public GradientReducer {
 public:
  // Ranks on this node, and this rank among them: picks the GPU, and the
  // threads per rank (cores / local_size()).
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  // "single", "mpi" or "nccl".
  virtual std::string backend() const = 0;
  // How long a collective waits for the other ranks before it throws.
  virtual void set_timeout(double seconds) = 0;

  // Replaces `tensors` on every rank by their values on `root`, in place.
  virtual void broadcast_(const std::vector<Tensor>& tensors, int root = 0) = 0;
  // Returns when every rank has entered it.
  virtual void barrier() = 0;
  // Every rank contributes `bytes` bytes; returns them all, rank 0's first.
  // For small host values (metrics, checks), not tensors.
  virtual std::vector<std::byte> all_gather_bytes(const void* data, std::size_t bytes) = 0;

  // all_gather_bytes for one trivially copyable value per rank.
  template <typename T>
  std::vector<T> all_gather(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>, "all_gather sends raw bytes");
    const std::vector<std::byte> raw = all_gather_bytes(&value, sizeof(T));
    std::vector<T> out(raw.size() / sizeof(T));
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
  }
};

// "rank R of W", the prefix of every collective's error.
std::string rank_label(const ProcessGroup& group);

}  // namespace veil::distributed
