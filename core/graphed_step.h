#pragma once
// GraphedStep: a training step recorded once as a CUDA graph and replayed.
//
// Note [Captured steps]
// SampleConvNet's DP step at batch 200 is a few hundred small kernels: on a
// large GPU the host's launches, not the arithmetic, bound it. A CUDA graph
// records them once and replays them with one launch, repeating exactly
// what was recorded: the same kernels, with the same arguments, on the same
// addresses. So the recorded part of a step must be a function of buffers
// at fixed addresses:
// - inputs: the step reads static input tensors, into which each run copies
//   the caller's batch (on the device's stream, before the replay);
// - outputs: what the step returns, and what it leaves behind (a DP
//   optimizer's clipped sums, .grad), is rewritten in place by each replay;
//   the allocator keeps every buffer the graph uses reserved while it lives
//   (Note [Private pools], core/caching_allocator.h);
// - host code runs at the recording only, so host state the step changes
//   (what a DPOptimizer holds pending, a parameter's .grad) is put back after
//   each replay by the `after_replay` action the step returns, and host
//   decisions (the per-sample route Auto picks from the shapes) hold for
//   every replay;
// - values a kernel takes by value are frozen at the recording, so per-step
//   values (the noise stream's step number, Adam's bias correction, the
//   learning rate) stay outside: record forward, loss, backward, per-sample
//   clipping and the clipped sum, then add noise and update eagerly (a few
//   kernels per parameter). A replayed step then equals the eager step bit
//   for bit (tested);
// - the step must not read values on the host (the library's step reads
//   none, Note [Host reads]), copy host memory to the GPU or wait for the
//   GPU: each throws veil::Error during the recording.
// A graph serves one set of input shapes. The first run with new shapes runs
// eagerly (the warm-up: cuBLAS, cuDNN plans, optimizer buffers and cached
// memory are made then, not while recording), the second records and
// replays, later ones replay. Graphs pay where shapes repeat: fixed-size
// batches (bench_train). Poisson sampling draws a new batch size every
// step, so GraphedStep keeps a graph per size for up to `max_graphs` sizes,
// dropping the least recently used, and records a size at its second
// occurrence: a Poisson run replays the sizes that recur while they are kept.
// On the CPU the step simply runs, so callers keep one code path.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "veil/core/device_graph.h"
#include "veil/core/tensor.h"

namespace veil {

class GraphedStep {
 public:
  struct Result {
    std::vector<Tensor> outputs;
    // Redoes the step's effects on host state after a replay, where the
    // step's host code does not run; may be empty.
    std::function<void()> after_replay;
  };
  using Step = std::function<Result(const std::vector<Tensor>& inputs)>;

  // Keeps graphs for up to `max_graphs` (>= 1) sets of input shapes.
  explicit GraphedStep(Step step, std::size_t max_graphs = 4);
  ~GraphedStep();
  GraphedStep(const GraphedStep&) = delete;
  GraphedStep& operator=(const GraphedStep&) = delete;

  // Runs the step on `inputs` (defined tensors on one device) and returns
  // its outputs. On a GPU a replay returns the recorded outputs (detached),
  // rewritten by it: clone one that must outlive the next run of the same
  // shapes.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  // An after_replay action for a step that leaves its gradients in .grad
  // (a plain optimizer's step): puts back the .grad each of `parameters`
  // holds now, which a replay rewrites, after zero_grad dropped them.
  static std::function<void()> restore_grads(const std::vector<Tensor>& parameters);

  std::int64_t recordings() const { return recordings_; }
  std::int64_t replays() const { return replays_; }  // runs that replayed a graph, recordings included
  std::size_t graphs() const { return graphs_.size(); }  // graphs kept now

 private:
  struct Graph;

  Step step_;
  std::size_t max_graphs_;
  std::map<std::string, std::unique_ptr<Graph>> graphs_;  // by input devices, dtypes and shapes
  std::set<std::string> warmed_up_;                       // input shapes run eagerly once
  std::uint64_t clock_ = 0;                               // orders the graphs' last uses
  std::int64_t recordings_ = 0, replays_ = 0;
};

}  // namespace veil
