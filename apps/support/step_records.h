#pragma once
// Note [Reads at check points]
// A training step reads nothing back to the host (Note [Host reads]): on a
// GPU a read waits for all the work queued before it. So the app's per-step
// figures stay on the model's device: each step writes its loss, its correct
// predictions and, under DP, its examples with a non-finite gradient into a
// small buffer there (StepRecords), and the host reads that buffer only at
// check points: after every kCheckEvery steps of an epoch and after its last
// step. There the host adds the steps to the epoch's train figures and
// finds the first step that diverged. The ranks step in lock-step, so they
// reach the same check points and exchange their verdicts there: every rank
// makes the same collective calls and all stop together. A diverged run
// stops at the next check point, up to kCheckEvery - 1 steps after the step
// its error names, and always before the end of its epoch, where files are
// written: nothing diverged is saved.
#include <cstdint>
#include <vector>

#include "veil/core/tensor.h"

namespace veil::cli {

// Steps between two check points of an epoch.
inline constexpr std::int64_t kCheckEvery = 10;

// One worker's train figures over the steps read so far.
struct TrainTally {
  double loss_sum = 0;             // loss x batch size, over non-empty batches whose loss is finite
  std::int64_t loss_examples = 0;  // the examples of those batches
  std::int64_t seen = 0;           // examples trained on
  std::int64_t correct = 0;        // of those, predicted right by the step's forward pass
  std::int64_t non_finite = 0;     // dropped by clipping for a non-finite gradient (DP only)
};

// The first step that diverged (step -1: none did), with its loss.
struct Divergence {
  std::int64_t step = -1;
  double loss = 0;
};

// argmax(logits, 1) == targets, counted: a float64 scalar on the logits'
// device, computed without a host read. logits [B, classes], targets [B]
// int64 on the same device.
Tensor count_correct(const Tensor& logits, const Tensor& targets);

// The per-step figures of up to `capacity` steps, kept on `device` until
// read. A step has diverged when its batch is not empty and
// - without DP, its loss is NaN or inf;
// - under DP, every example had a non-finite gradient (clipping drops such
//   examples one by one, so a few of them are no divergence).
class StepRecords {
 public:
  StepRecords(std::int64_t capacity, Device device, bool dp);

  // Records one step without reading anything back: its global index, its
  // batch size, its loss (a scalar), logits and targets as count_correct
  // takes them, and under DP clipping's non-finite flags [B]
  // (ClippingStats::non_finite; ignored without DP). Throws when full.
  void record(std::int64_t step, std::int64_t batch_size, const Tensor& loss, const Tensor& logits,
              const Tensor& targets, const Tensor& non_finite);
  bool full() const { return static_cast<std::int64_t>(steps_.size()) == capacity_; }

  // Reads the recorded steps in one host read (none when there are none),
  // adds them to `tally` and empties the records. Returns the first step
  // that diverged.
  Divergence read(TrainTally& tally);

 private:
  std::int64_t capacity_;
  bool dp_;
  Tensor values_;  // float64 [capacity, 3]: loss, correct, non-finite examples, one row per step
  std::vector<std::int64_t> steps_, batch_sizes_;
};

}  // namespace veil::cli
