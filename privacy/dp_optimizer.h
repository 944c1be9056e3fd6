#pragma once
// DPOptimizer: DP-SGD's step around any Optimizer (DESIGN.md, one step).
//
//   loss.backward()            layers record per-sample information
//   dp.step()                  clip each example, sum, add N(0, sigma^2 S^2)
//                              (rank 0 only), all-reduce over the workers,
//                              divide by the global expected batch size q*N,
//                              update, record (q, sigma)
//
// Virtual steps (large logical batches in small physical ones): after each
// micro-batch's backward call accumulate_microbatch(); the clipped sums add up
// and step() adds noise once for the whole logical batch. One logical batch
// must be one Poisson draw: never accumulate several draws into one step.
//
// S is the clipping sensitivity (C, or sqrt(sum C_p^2) per-layer). With
// sigma = 0 and C = infinity the update equals the plain optimizer's on the
// same batch with a sum loss divided by q*N (tested).
//
// Only clipped gradients reach the update: the noised clipped sum replaces
// each parameter's .grad. The constructor refuses a trainable parameter that
// no per-sample layer covers, and step() refuses (naming the parameter) a
// .grad that came from anywhere but clipping, e.g. a parameter also used
// through a plain op such as matmul, or a backward with per-sample mode off;
// it also refuses a step for which no per-sample gradients were recorded.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "veil/layers/module.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/clipping.h"
#include "veil/privacy/gradient_reducer.h"
#include "veil/privacy/privacy_ledger.h"
#include "veil/core/secure_rng.h"

namespace veil {

struct DPOptimizerOptions {
  double noise_multiplier = 1.0;  // sigma
  ClippingConfig clipping;
  double expected_batch_size = 0;  // q * N, > 0
  double sample_rate = 0;          // q, recorded in the ledger
  std::uint64_t noise_seed = 0;    // Philox key of the noise (ignored in secure mode)
  bool secure_mode = false;        // OS-seeded CSPRNG + discrete Gaussian noise
};

// Note [Saved training state]
// What a run needs to continue exactly where it stopped, kept together so
// that no caller assembles it field by field: the inner optimizer's kind and
// buffers, the steps taken (also the sampler's position: the batch of step t
// is PoissonSampler::sample(t), a function of (seed, t)), and the privacy
// ledger, which must hold exactly one record per step. A plain (non-DP)
// run saves the same minus the ledger. privacy/training_checkpoint.h stores
// it in a Checkpoint.
struct TrainingState {
  std::string optimizer_kind;  // Optimizer::kind()
  OptimizerState optimizer;    // Optimizer::state()
  std::int64_t steps = 0;
  std::optional<privacy::PrivacyLedger> ledger;  // DP runs only
};

// Called before each step with the ledger as it would be after the step;
// throws to refuse the step (a privacy budget).
using StepGuard = std::function<void(const privacy::PrivacyLedger& ledger_after_step)>;

class DPOptimizer {
 public:
  // With a reducer, one worker of a data-parallel run (gradient_reducer.h);
  // the reducer must outlive the optimizer.
  DPOptimizer(Module& model, std::unique_ptr<Optimizer> optimizer, const DPOptimizerOptions& options,
              GradientReducer* reducer = nullptr);

  // Clips the recorded micro-batch and adds it into the pending sums.
  void accumulate_microbatch();
  // The full DP step; accumulates the pending micro-batch first if any.
  void step();
  void zero_grad();

  void set_step_guard(StepGuard guard) { step_guard_ = std::move(guard); }

  Optimizer& optimizer() { return *optimizer_; }
  const DPOptimizerOptions& options() const { return options_; }
  privacy::PrivacyLedger& ledger() { return ledger_; }
  std::int64_t steps_taken() const { return steps_; }
  void set_steps_taken(std::int64_t steps) { steps_ = steps; }
  // Note [Saved training state]; the ledger is always present. Taken
  // between steps (nothing pending), it resumes bit for bit: a fresh
  // DPOptimizer over the same model and options, given load_state(state()),
  // takes the same next steps as the one it came from.
  TrainingState state() const;
  // Throws veil::Error, changing nothing, when the state is another
  // optimizer kind's, has no ledger, a ledger whose step count is not
  // `steps`, or buffers that do not fit the parameters.
  void load_state(const TrainingState& state);
  // Statistics of the last clipped micro-batch (device tensors: reading
  // them is a host read, Note [Host reads]).
  const ClippingStats& last_clipping() const { return last_clipping_; }
  // Examples dropped for non-finite gradients since construction (see
  // ClippingStats::non_finite_examples: a diagnostic, not private). A host
  // read; step() itself never reads anything back.
  std::int64_t non_finite_examples() const;
  // Examples accumulated into the pending step.
  std::int64_t pending_examples() const { return pending_examples_; }
  // Their clipped sums, one per trainable parameter (undefined where no
  // micro-batch reached it): this worker's part of the step, before noise.
  const std::vector<Tensor>& pending_sums() const { return clipped_sums_; }
  std::string describe() const;

  // What accumulate_microbatch() leaves pending on the host. A step recorded
  // as a graph runs its host code once (Note [Captured steps],
  // core/graphed_step.h): take the record after the recorded
  // accumulate_microbatch() and restore it after each replay, which rewrites
  // the tensors it names in place.
  struct PendingRecord {
    std::vector<Tensor> sums;  // as pending_sums()
    std::int64_t examples = 0, microbatches = 0;
    ClippingStats clipping;
  };
  PendingRecord pending_record() const;
  // Throws when micro-batches are pending already: the record stands for a
  // whole step's, in place of running it.
  void restore_pending(const PendingRecord& record);

 private:
  void add_noise();
  // Throws naming the first trainable parameter whose .grad is set: only
  // clipping may produce the gradients this optimizer applies.
  void require_no_unclipped_grads() const;

  Module& model_;
  std::unique_ptr<Optimizer> optimizer_;
  DPOptimizerOptions options_;
  std::vector<std::string> names_;  // trainable parameters, as model.named_parameters()
  std::vector<Tensor> parameters_;
  std::vector<Tensor> clipped_sums_;  // per parameter, summed over the pending micro-batches
  privacy::PrivacyLedger ledger_;
  std::unique_ptr<SecureRng> secure_rng_;
  GradientReducer* reducer_;
  StepGuard step_guard_;
  ClippingStats last_clipping_;
  std::int64_t steps_ = 0;
  std::int64_t pending_examples_ = 0;
  std::int64_t pending_microbatches_ = 0;
  Tensor non_finite_count_;  // float64 scalar on the parameters' device, once a micro-batch was clipped
};

}  // namespace veil
