// A whole DP-SGD step on the GPU against the same step on the CPU: the
// SampleConvNet forward and backward, per-sample gradients (materialised and
// ghost-norm), clipping, Philox noise from the same seed, and SGD with
// momentum, on the same batch.
#include <catch2/catch.hpp>

#include <memory>

#include "support/cuda_agreement.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using namespace veil::testing;

namespace {

struct StepResult {
  std::vector<std::pair<std::string, Tensor>> parameters;
  ClippingStats clipping;
};

StepResult train_two_steps(Device device, GradSampleMode mode, const Tensor& x, const Tensor& y) {
  SampleConvNet net(5);
  net.to(device);
  net.set_per_sample({mode, LossReduction::Sum});
  DPOptimizerOptions options;
  options.noise_multiplier = 1.0;
  options.clipping.max_grad_norm = 0.5;
  options.expected_batch_size = static_cast<double>(x.size(0));
  options.sample_rate = 0.01;
  options.noise_seed = 42;
  DPOptimizer dp(net, std::make_unique<SGD>(net.parameters(), SGDOptions{0.1, 0.9}), options);
  for (int step = 0; step < 2; ++step) {
    dp.zero_grad();
    cross_entropy(net(x.to(device)), y.to(device), LossReduction::Sum).backward();
    dp.step();
  }
  StepResult result{{}, dp.last_clipping()};
  for (auto& [name, p] : net.named_parameters()) result.parameters.emplace_back(name, p.detach());
  return result;
}

}  // namespace

TEST_CASE("Two DP-SGD steps of SampleConvNet on the GPU match the CPU's", "[cuda][dp_step]") {
  const Device g = gpu();
  const Tensor x = Tensor::uniform({24, 1, 28, 28}, 0, 1, 3);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < 24; ++i) labels.push_back(i % 10);
  const Tensor y = Tensor::from_vector<std::int64_t>(labels, {24});
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    INFO("mode " << grad_sample_mode_name(mode));
    const StepResult cpu = train_two_steps(Device::cpu(), mode, x, y);
    const StepResult cuda = train_two_steps(g, mode, x, y);
    REQUIRE(cuda.clipping.batch_size == cpu.clipping.batch_size);
    REQUIRE(cuda.clipping.clipped_fraction() == cpu.clipping.clipped_fraction());
    REQUIRE(cuda.clipping.norms.device().is_cuda());
    const std::vector<double> cpu_norms = cpu.clipping.norm_values(), cuda_norms = cuda.clipping.norm_values();
    REQUIRE(cuda_norms.size() == cpu_norms.size());
    for (std::size_t i = 0; i < cpu_norms.size(); ++i) REQUIRE(cuda_norms[i] == Approx(cpu_norms[i]).epsilon(1e-4));
    REQUIRE(cuda.parameters.size() == cpu.parameters.size());
    for (std::size_t k = 0; k < cpu.parameters.size(); ++k) {
      INFO(cpu.parameters[k].first);
      // float32 products summed in other orders, through two steps of lr 0.1.
      require_agrees(cuda.parameters[k].second, cpu.parameters[k].second, 2e-5, 1e-4);
    }
  }
}
