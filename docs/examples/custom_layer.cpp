// A layer with its own per-sample gradient rule (docs/guide.md, "Adding a
// layer").
#include <iostream>
#include <memory>
#include <vector>

#include <veil/autograd/node.h>           // record_op
#include <veil/layers/per_sample_math.h>  // norms and weighted sums of [B, ...] tensors
#include <veil/veil.h>
#include "veil/core/compare.h"

using namespace veil;

// FeatureScale: a learnable gain per feature, y = x * w, x [B, D], w [D].
// Per-sample rule, g the output gradient: dw_i = g_i * x_i. That is [B, D],
// no bigger than the input, so the rule keeps it materialised.
class FeatureScale : public Module, public PerSampleLayer {
 public:
  explicit FeatureScale(std::int64_t features) : Module("FeatureScale") {
    weight_ = register_parameter("weight", Tensor::ones({features}));
  }

  Tensor forward(const Tensor& input) override {
    const Tensor x = input.detach();
    Tensor y;
    {
      NoGradGuard no_grad;  // the node recorded below is the whole backward
      y = x * weight_;
    }
    const PerSampleConfig config = per_sample_config();
    auto backward = [this, x, w = weight_.detach(), config](const Tensor& g) -> std::vector<Tensor> {
      const Tensor samples = g * x;  // row i: example i's part of dL/dw
      if (!config.enabled()) return {g * w, sum(samples, {0})};
      // DP: keep the rows, rescaled to each example's own loss, and leave
      // .grad alone; the DPOptimizer clips them and forms the sum.
      samples_ = samples * per_sample::reduction_scale(config.loss_reduction, x.size(0));
      return {g * w, Tensor()};
    };
    return autograd::record_op("FeatureScale", y, {input, weight_}, backward);
  }

  const Tensor& weight() const { return weight_; }

  // PerSampleLayer: what the privacy module asks after backward.
  bool has_per_sample() const override { return samples_.defined(); }
  std::int64_t per_sample_batch_size() const override { return samples_.defined() ? samples_.size(0) : 0; }
  std::vector<Tensor> per_sample_parameters() const override { return {weight_}; }
  std::vector<Tensor> per_sample_sq_norms() override { return {per_sample::row_sq_norms(samples_)}; }
  void accumulate_weighted_grads(const std::vector<Tensor>& coeffs) override {
    per_sample::add_into_grad(weight_, per_sample::weighted_row_sum(samples_, coeffs[0]));
  }
  std::vector<Tensor> grad_samples() override { return {samples_}; }
  GradSampleMode route_taken() const override {
    return samples_.defined() ? GradSampleMode::Materialize : GradSampleMode::Off;
  }
  void clear_per_sample() override { samples_ = Tensor(); }

 private:
  Tensor weight_;
  Tensor samples_;  // [B, D] while recorded
};

int main() try {
  // The invariant every layer's tests check: row i of the per-sample
  // gradients equals the gradient of example i's loss on its own.
  FeatureScale layer(4);
  const Tensor x = Tensor::normal({5, 4}, 0.0, 1.0, /*seed=*/1);
  const Tensor target = Tensor::normal({5, 4}, 0.0, 1.0, /*seed=*/2);
  layer.set_per_sample({.mode = GradSampleMode::Materialize, .loss_reduction = LossReduction::Mean});
  mse_loss(layer(x), target).backward();
  const Tensor samples = layer.grad_samples()[0];
  layer.clear_per_sample();
  layer.set_per_sample({});  // off: ordinary gradients again
  for (std::int64_t i = 0; i < 5; ++i) {
    layer.zero_grad();
    mse_loss(layer(x.slice(0, i, i + 1)), target.slice(0, i, i + 1)).backward();
    const double error = max_abs_diff(layer.weight().grad(), samples.slice(0, i, i + 1).reshape({4}));
    VEIL_CHECK(error < 1e-5) << "example " << i << ": per-sample gradient off by " << error;
  }

  // The validator accepts it, and DP-SGD trains through it.
  Sequential model({std::make_shared<Linear>(4, 4, /*seed=*/3), std::make_shared<FeatureScale>(4)});
  VEIL_CHECK(validate_for_dp(model).empty());
  auto train = std::make_shared<data::TensorDataset>(Tensor::normal({64, 4}, 0.0, 1.0, /*seed=*/4),
                                                     Tensor::from_vector(std::vector<std::int64_t>(64, 1), {64}));
  data::DataLoader loader(train, 16, /*shuffle=*/true, /*drop_last=*/false, /*seed=*/5);
  PrivacyEngine engine;
  auto priv = engine.make_private(model, std::make_unique<SGD>(model.parameters(), SGDOptions{}), loader,
                                  /*noise_multiplier=*/1.0, /*max_grad_norm=*/1.0);
  priv.loader->for_each_batch(0, 4, [&](std::int64_t, const data::Batch& batch) {
    cross_entropy(model(batch.inputs), batch.targets).backward();
    priv.optimizer->step();
  });
  std::cout << "FeatureScale: per-sample rule checked; 4 DP steps, epsilon " << engine.get_epsilon(1e-5).epsilon
            << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
