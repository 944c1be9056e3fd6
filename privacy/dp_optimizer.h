#pragma once
// DPOptimizer: DP-SGD's step around any Optimizer (DESIGN.md, one step).
//
//   loss.backward()            layers record per-sample information
//   dp.step()                  clip each example, sum, all-reduce (hook),
//                              add N(0, sigma^2 S^2) once, divide by the
//                              expected batch size q*N, update, record (q, sigma)
//
// Virtual steps (large logical batches in small physical ones): after each
// micro-batch's backward call accumulate_microbatch(); the clipped sums add up
// and step() adds noise once for the whole logical batch. One logical batch
// must be one Poisson draw: never accumulate several draws into one step.
//
// S is the clipping sensitivity (C, or sqrt(sum C_p^2) per-layer). With
// sigma = 0 and C = infinity the update equals the plain optimizer's on the
// same batch with a sum loss divided by q*N (tested).
#include <functional>
#include <memory>

#include "veil/layers/module.h"
#include "veil/layers/optimizer.h"
#include "veil/privacy/clipping.h"
#include "veil/privacy/privacy_ledger.h"
#include "veil/privacy/secure_rng.h"

namespace veil {

struct DPOptimizerOptions {
  double noise_multiplier = 1.0;  // sigma
  ClippingConfig clipping;
  double expected_batch_size = 0;  // q * N, > 0
  double sample_rate = 0;          // q, recorded in the ledger
  std::uint64_t noise_seed = 0;    // Philox key of the noise (ignored in secure mode)
  bool secure_mode = false;        // OS-seeded CSPRNG + discrete Gaussian noise
};

// Called with the clipped gradient sums before noise; a distributed run
// all-reduces (sums) them across ranks here.
using GradientAllReduce = std::function<void(const std::vector<Tensor>& grads)>;
// Called before each step with the ledger as it would be after the step;
// throws to refuse the step (a privacy budget).
using StepGuard = std::function<void(const privacy::PrivacyLedger& ledger_after_step)>;

class DPOptimizer {
 public:
  DPOptimizer(Module& model, std::unique_ptr<Optimizer> optimizer, const DPOptimizerOptions& options);

  // Clips the recorded micro-batch and adds it into the pending sums.
  void accumulate_microbatch();
  // The full DP step; accumulates the pending micro-batch first if any.
  void step();
  void zero_grad();

  void set_all_reduce(GradientAllReduce hook) { all_reduce_ = std::move(hook); }
  void set_step_guard(StepGuard guard) { step_guard_ = std::move(guard); }

  Optimizer& optimizer() { return *optimizer_; }
  const DPOptimizerOptions& options() const { return options_; }
  privacy::PrivacyLedger& ledger() { return ledger_; }
  std::int64_t steps_taken() const { return steps_; }
  void set_steps_taken(std::int64_t steps) { steps_ = steps; }
  // Statistics of the last clipped micro-batch.
  const ClippingStats& last_clipping() const { return last_clipping_; }
  // Examples accumulated into the pending step.
  std::int64_t pending_examples() const { return pending_examples_; }
  std::string describe() const;

 private:
  void add_noise();

  Module& model_;
  std::unique_ptr<Optimizer> optimizer_;
  DPOptimizerOptions options_;
  std::vector<Tensor> parameters_;
  privacy::PrivacyLedger ledger_;
  std::unique_ptr<SecureRng> secure_rng_;
  GradientAllReduce all_reduce_;
  StepGuard step_guard_;
  ClippingStats last_clipping_;
  std::int64_t steps_ = 0;
  std::int64_t pending_examples_ = 0;
};

}  // namespace veil
