#pragma once
// GradientReducer: how a DPOptimizer combines the clipped sums of several
// workers at step() (DESIGN.md, steps 5 and 6). distributed::ProcessGroup
// implements it; a DPOptimizer without one is a single worker.
//
// Noise once: the worker with rank 0 adds N(0, sigma^2 S^2) to its own clipped
// sum before sum_(), so the global sum carries the noise exactly once. Only
// rank 0 draws, which works in secure mode too (no shared seed to re-draw
// from). Every worker then divides the same sum by q*N and applies the same
// update.
#include <vector>

#include "veil/core/tensor.h"

namespace veil {

class GradientReducer {
 public:
  virtual ~GradientReducer() = default;
  virtual int rank() const = 0;  // in [0, size())
  virtual int size() const = 0;
  // Sums `tensors` element-wise over all workers, in place; every worker ends
  // with the same values. Every worker must call it with tensors of the same
  // shapes and dtypes, in the same order.
  virtual void all_reduce_sum_(const std::vector<Tensor>& tensors) = 0;
};

}  // namespace veil
