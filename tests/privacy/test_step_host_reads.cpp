// A DP training step reads nothing back to the host (Note [Host reads]):
// forward, loss, backward, clipping (every route and policy), noise and the
// update leave host_read_count() alone; only reading the loss or the
// statistics afterwards counts. On the CPU the same code paths would be the
// GPU's device-to-host copies, so this holds the GPU step to it too.
#include <catch2/catch.hpp>

#include <memory>

#include "support/core_check.h"
#include "veil/core/host_reads.h"
#include "veil/layers/activations.h"
#include "veil/layers/dropout.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/layers/sequential.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using namespace veil::testing;

namespace {

DPOptimizerOptions options_with(const ClippingConfig& clipping, std::int64_t batch) {
  DPOptimizerOptions options;
  options.noise_multiplier = 1.0;
  options.clipping = clipping;
  options.expected_batch_size = static_cast<double>(batch);
  options.sample_rate = 0.01;
  options.noise_seed = 7;
  return options;
}

Tensor labels_for(std::int64_t batch, std::int64_t classes) {
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < batch; ++i) y.push_back(i % classes);
  return Tensor::from_vector<std::int64_t>(y, {batch});
}

// Two steps (the first one warms up anything lazily built), the second one
// counted; returns its loss.
Tensor counted_step(Module& model, DPOptimizer& dp, const Tensor& x, const Tensor& y, std::uint64_t* reads) {
  Tensor loss;
  for (int step = 0; step < 2; ++step) {
    const std::uint64_t before = host_read_count();
    dp.zero_grad();
    loss = cross_entropy(model(x), y);
    loss.backward();
    dp.step();
    *reads = host_read_count() - before;
  }
  return loss;
}

}  // namespace

TEST_CASE("A DP step of SampleConvNet makes no host read until the loss is read", "[privacy][host_reads]") {
  const std::int64_t batch = 6;
  const Tensor x = Tensor::uniform({batch, 1, 28, 28}, 0, 1, 3);
  const Tensor y = labels_for(batch, 10);
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    for (NonFinitePolicy policy : {NonFinitePolicy::Zero, NonFinitePolicy::Error}) {
      INFO("route " << grad_sample_mode_name(mode) << ", policy " << (policy == NonFinitePolicy::Zero ? "Zero" : "Error"));
      SampleConvNet net(5);
      net.set_per_sample({mode, LossReduction::Mean});
      ClippingConfig clipping;
      clipping.max_grad_norm = 0.5;
      clipping.non_finite = policy;
      DPOptimizer dp(net, std::make_unique<SGD>(net.parameters(), SGDOptions{0.1, 0.9}), options_with(clipping, batch));
      std::uint64_t reads = 0;
      const Tensor loss = counted_step(net, dp, x, y, &reads);
      CHECK(reads == 0);
      // Reading is what counts: the loss, then the statistics.
      const std::uint64_t before = host_read_count();
      CHECK(std::isfinite(loss.item()));
      CHECK(host_read_count() > before);
      CHECK(dp.last_clipping().clipped_fraction() >= 0.0);
      CHECK(dp.non_finite_examples() == 0);
    }
  }
}

TEST_CASE("Dropout, per-layer clipping and virtual steps make no host read either", "[privacy][host_reads]") {
  const std::int64_t batch = 5;
  auto net = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(4, 6, 1), std::make_shared<Tanh>(), std::make_shared<Dropout>(0.3, 2),
      std::make_shared<Linear>(6, 3, 3)});
  ClippingConfig clipping;
  clipping.per_parameter_norms = {0.5, 0.5, 0.3, 0.3};
  DPOptimizer dp(*net, std::make_unique<SGD>(net->parameters(), SGDOptions{0.1}), options_with(clipping, batch));
  const Tensor x = rand({batch, 4}, 4, DType::Float32);
  const Tensor y = labels_for(batch, 3);
  std::uint64_t reads = 0;
  counted_step(*net, dp, x, y, &reads);
  CHECK(reads == 0);

  // Two micro-batches into one logical step.
  const std::uint64_t before = host_read_count();
  dp.zero_grad();
  cross_entropy((*net)(x.slice(0, 0, 2)), y.slice(0, 0, 2)).backward();
  dp.accumulate_microbatch();
  cross_entropy((*net)(x.slice(0, 2, batch)), y.slice(0, 2, batch)).backward();
  dp.step();
  CHECK(host_read_count() == before);
}
