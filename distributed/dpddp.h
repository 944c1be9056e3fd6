#pragma once
// DPDDP: a model replicated over the ranks of a ProcessGroup for DP-SGD
// (Opacus's DPDDP). Construction checks that every rank holds the same
// parameter and buffer names, shapes and dtypes (a clear error otherwise) and
// broadcasts rank 0's values, so all replicas start equal. It adds nothing to
// forward or backward: the ranks synchronise at the optimizer step, where the
// clipped sums are summed (make_private.h), because each example's gradient
// must be clipped before examples are combined.
//
//   DPDDP ddp(model, group);
//   auto priv = distributed::make_private(engine, ddp, std::move(sgd), loader, sigma, C);
#include <cstdint>

#include "veil/distributed/process_group.h"
#include "veil/layers/module.h"

namespace veil::distributed {

class DPDDP {
 public:
  // Collective: every rank of `group` must construct it. Both must outlive it.
  DPDDP(Module& model, ProcessGroup& group);

  Tensor operator()(const Tensor& input) { return model_(input); }
  Module& module() { return model_; }
  ProcessGroup& group() { return group_; }

  // Collective: throws on every rank, naming the ranks, unless all ranks hold
  // bit-identical parameters and buffers.
  void check_in_sync();

 private:
  Module& model_;
  ProcessGroup& group_;
};

// FNV-1a over the names, dtypes, shapes and bytes of a module's parameters
// and buffers: equal on two ranks exactly when their states are.
std::uint64_t state_hash(const Module& model);

}  // namespace veil::distributed
