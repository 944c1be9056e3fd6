#pragma once
// The per-sample gradient checks every parametric layer's tests run (and
// the whole-model tests): per-sample gradients against a loop of
// single-example backward passes, their sum against the batch gradient,
// ghost norms against materialised norms, and weighted sums against
// sum_i c_i g_i. Failures print each parameter's norms. They run on the
// device of the model and its input (the GPU tests run them there too).
#include <functional>

#include "veil/layers/module.h"

namespace veil::testing {

// Maps the module's output [B, ...] for the examples first .. first+B-1 of
// the input to their per-example losses [B] (losses with targets need to know
// which examples they see).
using PerExampleLoss = std::function<Tensor(const Tensor& output, std::int64_t first)>;

// A fixed random linear functional of each example's output, so that
// every output element gets a distinct gradient.
PerExampleLoss random_projection_loss(std::uint64_t seed);

// Each example's cross-entropy of its logits against labels[first + i],
// through the fused loss one example at a time.
PerExampleLoss per_example_cross_entropy(const Tensor& labels);

struct PerSampleCheck {
  LossReduction reduction = LossReduction::Sum;
  double rtol = 1e-4;
  double atol = 1e-6;
};

// Runs all checks with Catch2 assertions. The model is left with
// per-sample recording off.
void check_per_sample_gradients(Module& model, const Tensor& input, const PerExampleLoss& loss,
                                const PerSampleCheck& options = {});

}  // namespace veil::testing
