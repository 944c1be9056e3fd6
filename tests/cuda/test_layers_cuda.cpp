// Every layer on the GPU against the same layer on the CPU: forward,
// backward (input and parameter gradients) and, for layers with parameters,
// per-sample gradients and norms on each route; then the per-sample checks
// the CPU layer tests run (support/per_sample_check.h), on the GPU.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/cuda_agreement.h"
#include "support/per_sample_check.h"
#include "veil/autograd/ops.h"
#include "veil/layers/activations.h"
#include "veil/layers/batch_norm.h"
#include "veil/layers/conv1d.h"
#include "veil/layers/conv2d.h"
#include "veil/layers/dropout.h"
#include "veil/layers/embedding.h"
#include "veil/layers/flatten.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/pooling.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/layers/scatter_linear.h"
#include "veil/layers/tanh_cnn.h"

using namespace veil;
using namespace veil::testing;

namespace {

struct LayerCase {
  std::string name;
  std::function<std::shared_ptr<Module>()> make;  // the same weights on every call
  std::function<Tensor()> input;                  // on the CPU
  bool input_grad = true;                         // false for index inputs
};

Tensor indices(const Shape& shape, std::int64_t vocabulary) {
  std::vector<std::int64_t> values;
  for (std::int64_t i = 0; i < shape_numel(shape); ++i) values.push_back((i * 7 + 3) % vocabulary);
  return Tensor::from_vector(values, shape);
}

std::vector<LayerCase> layer_cases() {
  const auto uniform = [](Shape shape, std::uint64_t seed) { return [=] { return Tensor::uniform(shape, -1, 1, seed); }; };
  Conv2dOptions strided = Conv2dOptions::square(3, 2, 1);
  Conv2dOptions grouped{3, 2, 1, 2, 1, 0, 2, 1, 2, true};
  return {
      {"Linear 2-D", [] { return std::make_shared<Linear>(5, 3, 1); }, uniform({6, 5}, 11)},
      {"Linear 3-D, no bias", [] { return std::make_shared<Linear>(5, 3, 2, false); }, uniform({3, 4, 5}, 12)},
      {"Conv2d strided, padded", [=] { return std::make_shared<Conv2d>(3, 4, strided, 3); }, uniform({4, 3, 9, 9}, 13)},
      {"Conv2d grouped, dilated", [=] { return std::make_shared<Conv2d>(4, 6, grouped, 4); }, uniform({3, 4, 8, 7}, 14)},
      {"Conv1d", [] { return std::make_shared<Conv1d>(4, 6, 3, 5, 1, 1, 2, 2); }, uniform({3, 4, 11}, 15)},
      {"Embedding", [] { return std::make_shared<Embedding>(10, 4, 6); }, [] { return indices({3, 5}, 10); }, false},
      {"LayerNorm", [] { return std::make_shared<LayerNorm>(Shape{6}); }, uniform({4, 3, 6}, 16)},
      {"GroupNorm", [] { return std::make_shared<GroupNorm>(2, 4); }, uniform({3, 4, 5, 5}, 17)},
      {"BatchNorm2d", [] { return std::make_shared<BatchNorm2d>(4); }, uniform({3, 4, 5, 5}, 18)},
      {"MaxPool2d", [] { return std::make_shared<MaxPool2d>(2); }, uniform({2, 3, 7, 7}, 19)},
      {"AvgPool2d padded", [] { return std::make_shared<AvgPool2d>(3, 2, 1); }, uniform({2, 3, 7, 7}, 20)},
      {"ReLU", [] { return std::make_shared<ReLU>(); }, uniform({4, 9}, 21)},
      {"Tanh", [] { return std::make_shared<Tanh>(); }, uniform({4, 9}, 22)},
      {"Sigmoid", [] { return std::make_shared<Sigmoid>(); }, uniform({4, 9}, 23)},
      {"Flatten", [] { return std::make_shared<Flatten>(); }, uniform({2, 3, 4}, 24)},
      {"Dropout", [] { return std::make_shared<Dropout>(0.3, 7); }, uniform({4, 50}, 25)},
      {"SampleConvNet", [] { return std::make_shared<SampleConvNet>(8); }, uniform({3, 1, 28, 28}, 26)},
      {"ScatterLinear", [] { return std::make_shared<ScatterLinear>(ScatterLinearOptions{}, 10); },
       uniform({3, 81, 7, 7}, 28)},
      {"TanhCnn with GroupNorm", [] { return std::make_shared<TanhCnn>(TanhCnnOptions{1, 2}, 9); },
       uniform({3, 1, 28, 28}, 27)},
  };
}

struct Pass {
  Tensor output, input_grad;
  std::vector<Tensor> parameter_grads;
};

// Forward, then backward through a fixed random projection of the output.
Pass forward_backward(Module& module, const LayerCase& c, Device device) {
  Tensor x = c.input().to(device);
  if (c.input_grad) x.set_requires_grad(true);
  module.zero_grad();
  const Tensor out = module(x);
  sum(random_projection_loss(5)(out, 0)).backward();
  Pass pass{out.detach(), c.input_grad ? x.grad() : Tensor(), {}};
  for (const Tensor& p : module.parameters()) pass.parameter_grads.push_back(p.grad());
  return pass;
}

// Each per-sample layer's per-sample gradients and squared norms on a route.
std::vector<std::vector<Tensor>> per_sample_results(Module& module, const LayerCase& c, Device device,
                                                    GradSampleMode mode) {
  module.set_per_sample({mode, LossReduction::Sum});
  forward_backward(module, c, device);
  std::vector<std::vector<Tensor>> results;
  for (PerSampleLayer* layer : module.per_sample_layers()) {
    results.push_back(layer->per_sample_sq_norms());
    if (mode == GradSampleMode::Materialize) results.push_back(layer->grad_samples());
  }
  module.set_per_sample({GradSampleMode::Off, LossReduction::Sum});
  return results;
}

constexpr double kAtol = 2e-5, kRtol = 1e-4;  // float32 sums in other orders

}  // namespace

TEST_CASE("Every layer on the GPU matches the CPU: forward, backward, per-sample gradients", "[cuda][layers]") {
  const Device g = gpu();
  for (const LayerCase& c : layer_cases()) {
    INFO(c.name);
    const std::shared_ptr<Module> cpu = c.make();
    const std::shared_ptr<Module> cuda = c.make();
    cuda->to(g);

    const Pass want = forward_backward(*cpu, c, Device::cpu());
    const Pass got = forward_backward(*cuda, c, g);
    require_agrees(got.output, want.output, kAtol, kRtol);
    if (c.input_grad) require_agrees(got.input_grad, want.input_grad, kAtol, kRtol);
    REQUIRE(got.parameter_grads.size() == want.parameter_grads.size());
    for (std::size_t p = 0; p < want.parameter_grads.size(); ++p) {
      INFO("parameter " << p);
      require_agrees(got.parameter_grads[p], want.parameter_grads[p], kAtol, kRtol);
    }

    if (cpu->per_sample_layers().empty()) continue;
    for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
      INFO("route " << grad_sample_mode_name(mode));
      const auto want_samples = per_sample_results(*cpu, c, Device::cpu(), mode);
      const auto got_samples = per_sample_results(*cuda, c, g, mode);
      REQUIRE(got_samples.size() == want_samples.size());
      for (std::size_t i = 0; i < want_samples.size(); ++i) {
        REQUIRE(got_samples[i].size() == want_samples[i].size());
        for (std::size_t p = 0; p < want_samples[i].size(); ++p) require_agrees(got_samples[i][p], want_samples[i][p], kAtol, kRtol);
      }
    }
    check_per_sample_gradients(*cuda, c.input().to(g), random_projection_loss(3), {LossReduction::Mean, 1e-3, 1e-5});
  }
}

TEST_CASE("Losses on the GPU match the CPU: values and gradients", "[cuda][layers][losses]") {
  const Device g = gpu();
  const Tensor logits = Tensor::uniform({7, 10}, -3, 3, 31);
  const Tensor labels = indices({7}, 10);
  const Tensor target = Tensor::uniform({7, 10}, -1, 1, 32);
  for (LossReduction reduction : {LossReduction::Sum, LossReduction::Mean}) {
    for (bool cross : {true, false}) {
      INFO((cross ? "cross_entropy" : "mse_loss") << " mean " << (reduction == LossReduction::Mean));
      const auto run = [&](Device device) {
        Tensor x = logits.to(device);
        x.set_requires_grad(true);
        Tensor loss = cross ? cross_entropy(x, labels.to(device), reduction) : mse_loss(x, target.to(device), reduction);
        loss.backward();
        return std::pair{loss.detach(), x.grad()};
      };
      const auto [cpu_loss, cpu_grad] = run(Device::cpu());
      const auto [gpu_loss, gpu_grad] = run(g);
      require_agrees(gpu_loss, cpu_loss, 1e-5, 1e-5);
      require_agrees(gpu_grad, cpu_grad, 1e-6, 1e-5);
    }
  }
}

TEST_CASE("Linear and Conv2d on an empty GPU batch give zero weight gradients, as on the CPU", "[cuda][layers]") {
  // A Poisson step may draw no example: the summed gradients are GEMMs over
  // no rows and must come out as zeros, not as what the memory held.
  const Device g = gpu();
  Linear linear(5, 3, 9);
  linear.to(g);
  sum(linear(Tensor::zeros({0, 5}, DType::Float32, g))).backward();
  require_bitwise_agrees(linear.weight().grad(), Tensor::zeros({3, 5}));
  linear.zero_grad();
  linear.set_per_sample({GradSampleMode::Ghost, LossReduction::Sum});
  sum(linear(Tensor::zeros({0, 5}, DType::Float32, g))).backward();
  linear.accumulate_weighted_grads({Tensor::zeros({0}, DType::Float64, g), Tensor::zeros({0}, DType::Float64, g)});
  require_bitwise_agrees(linear.weight().grad(), Tensor::zeros({3, 5}));
  Conv2d conv(2, 3, 3, 1);
  conv.to(g);
  sum(conv(Tensor::zeros({0, 2, 5, 5}, DType::Float32, g))).backward();
  require_bitwise_agrees(conv.weight().grad(), Tensor::zeros({3, 2, 3, 3}));
}
