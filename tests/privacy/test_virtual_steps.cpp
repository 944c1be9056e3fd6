// Virtual steps: one logical (Poisson) batch processed as several physical
// micro-batches with DPOptimizer::accumulate_microbatch() must give the same
// update as processing it whole: the clipped sums add up and the noise is
// added once, at step(), keyed by (seed, step).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/activations.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/layers/sequential.h"
#include "veil/privacy/dp_optimizer.h"
#include "veil/privacy/gaussian_noise.h"

using namespace veil;

namespace {

constexpr double kLr = 0.5;
constexpr std::int64_t kBatch = 12;

using MakeModel = std::function<std::shared_ptr<Module>()>;

struct Task {
  const char* name;
  MakeModel make;
  Tensor x, y;
};

std::vector<Task> tasks() {
  std::vector<Task> out;
  out.push_back({"SampleConvNet", [] { return std::make_shared<SampleConvNet>(11); },
                 Tensor::uniform({kBatch, 1, 28, 28}, 0, 1, 21),
                 Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}, {kBatch})});
  // Linear + LayerNorm (materialised per-sample route) + Linear.
  out.push_back({"MLP with LayerNorm",
                 [] {
                   return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                       std::make_shared<Linear>(6, 8, 31), std::make_shared<LayerNorm>(Shape{8}),
                       std::make_shared<Tanh>(), std::make_shared<Linear>(8, 3, 32)});
                 },
                 Tensor::uniform({kBatch, 6}, -2, 2, 22),
                 Tensor::from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 2, 1}, {kBatch})});
  return out;
}

DPOptimizerOptions dp_options(double sigma, double clip, std::uint64_t seed = 5) {
  DPOptimizerOptions o;
  o.noise_multiplier = sigma;
  o.clipping.max_grad_norm = clip;
  o.expected_batch_size = static_cast<double>(kBatch);
  o.sample_rate = 0.25;
  o.noise_seed = seed;
  return o;
}

struct Result {
  std::vector<Tensor> params;  // after the steps
  std::vector<double> norms;   // per-example norms of the first logical batch, in order
  double clipped_fraction = 0;
  std::int64_t ledger_steps = 0;
};

// `steps` logical steps on (x, y), each split into micro-batches of the given
// sizes (one size = the whole batch). explicit_last: call
// accumulate_microbatch() after the last micro-batch too (otherwise step()
// picks it up).
Result train(const Task& task, const DPOptimizerOptions& options, const std::vector<std::int64_t>& sizes,
             LossReduction reduction, bool explicit_last, int steps = 1) {
  std::shared_ptr<Module> model = task.make();
  model->set_per_sample({GradSampleMode::Auto, reduction});
  DPOptimizer dp(*model, std::make_unique<SGD>(model->parameters(), SGDOptions{kLr}), options);
  Result r;
  for (int s = 0; s < steps; ++s) {
    std::int64_t start = 0, clipped = 0;
    for (std::size_t m = 0; m < sizes.size(); ++m) {
      const std::int64_t end = start + sizes[m];
      cross_entropy((*model)(task.x.slice(0, start, end)), task.y.slice(0, start, end), reduction).backward();
      if (m + 1 < sizes.size() || explicit_last) {
        dp.accumulate_microbatch();
        REQUIRE(dp.pending_examples() == end);
        REQUIRE(dp.last_clipping().batch_size == sizes[m]);
      } else {
        REQUIRE(dp.pending_examples() == start);  // not accumulated yet
      }
      if (s == 0) {
        const ClippingStats& st = dp.last_clipping();
        if (m + 1 < sizes.size() || explicit_last) {
          const std::vector<double> norms = st.norm_values();
          r.norms.insert(r.norms.end(), norms.begin(), norms.end());
          clipped += std::llround(st.clipped_fraction() * static_cast<double>(st.batch_size));
        }
      }
      start = end;
    }
    REQUIRE(start == kBatch);
    dp.step();
    REQUIRE(dp.pending_examples() == 0);
    REQUIRE(dp.steps_taken() == s + 1);
    if (s == 0 && !explicit_last) {  // step() accumulated the last micro-batch itself
      const ClippingStats& st = dp.last_clipping();
      REQUIRE(st.batch_size == sizes.back());
      const std::vector<double> norms = st.norm_values();
      r.norms.insert(r.norms.end(), norms.begin(), norms.end());
      clipped += std::llround(st.clipped_fraction() * static_cast<double>(st.batch_size));
    }
    if (s == 0) r.clipped_fraction = static_cast<double>(clipped) / kBatch;
  }
  for (const Tensor& p : model->parameters()) r.params.push_back(p.clone());
  r.ledger_steps = dp.ledger().total_steps();
  return r;
}

void require_same_params(const Result& a, const Result& b, double rtol, double atol) {
  REQUIRE(a.params.size() == b.params.size());
  for (std::size_t k = 0; k < a.params.size(); ++k) {
    INFO("parameter " << k << " max |diff| " << max_abs_diff(a.params[k], b.params[k]));
    REQUIRE(allclose(a.params[k], b.params[k], rtol, atol));
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

TEST_CASE("Micro-batches of one logical batch give the whole batch's clipped update", "[privacy][virtual_steps]") {
  for (const Task& task : tasks()) {
    INFO(task.name);
    // The clipping threshold: the median per-example norm, so that about
    // half the examples are clipped and half pass unchanged.
    const Result probe = train(task, dp_options(0, std::numeric_limits<double>::infinity()), {kBatch},
                               LossReduction::Sum, true);
    REQUIRE(probe.norms.size() == static_cast<std::size_t>(kBatch));
    const double c = median(probe.norms);
    REQUIRE(c > 0);

    const Result whole = train(task, dp_options(0, c), {kBatch}, LossReduction::Sum, true);
    REQUIRE(whole.clipped_fraction > 0.3);
    REQUIRE(whole.clipped_fraction < 0.7);
    // Clipping changed the update: it differs from the unclipped one.
    double moved = 0;
    for (std::size_t k = 0; k < whole.params.size(); ++k) moved = std::max(moved, max_abs_diff(whole.params[k], probe.params[k]));
    REQUIRE(moved > 1e-4);

    for (bool explicit_last : {true, false}) {
      INFO("explicit accumulate of the last micro-batch: " << explicit_last);
      const Result micro = train(task, dp_options(0, c), {4, 4, 4}, LossReduction::Sum, explicit_last);
      // The same per-example norms, in the same order.
      REQUIRE(micro.norms.size() == whole.norms.size());
      for (std::size_t i = 0; i < micro.norms.size(); ++i) REQUIRE(micro.norms[i] == Approx(whole.norms[i]).epsilon(1e-5));
      REQUIRE(micro.clipped_fraction == whole.clipped_fraction);
      require_same_params(micro, whole, 1e-5, 1e-6);
    }
    // Uneven splits, and a mean-reduced loss per micro-batch (each layer
    // rescales by its own micro-batch size, so the per-example gradients and
    // hence the update are the same).
    require_same_params(train(task, dp_options(0, c), {5, 7}, LossReduction::Sum, true), whole, 1e-5, 1e-6);
    require_same_params(train(task, dp_options(0, c), {3, 3, 6}, LossReduction::Mean, false), whole, 1e-5, 1e-6);
    require_same_params(train(task, dp_options(0, c), {kBatch}, LossReduction::Mean, true), whole, 1e-5, 1e-6);
    // Two logical steps.
    require_same_params(train(task, dp_options(0, c), {6, 6}, LossReduction::Sum, true, 2),
                        train(task, dp_options(0, c), {kBatch}, LossReduction::Sum, true, 2), 1e-5, 1e-6);
  }
}

TEST_CASE("An empty micro-batch adds nothing to the logical batch", "[privacy][virtual_steps]") {
  for (const Task& task : tasks()) {
    INFO(task.name);
    const Result whole = train(task, dp_options(0, 1.0), {kBatch}, LossReduction::Sum, true);
    const Result micro = train(task, dp_options(0, 1.0), {5, 0, 7}, LossReduction::Sum, true);
    require_same_params(micro, whole, 1e-5, 1e-6);
  }
}

TEST_CASE("Virtual steps add the noise once per logical step, keyed by (seed, step)", "[privacy][virtual_steps]") {
  const Task task = tasks()[0];
  const double c = 0.7, sigma = 1.3;
  const std::uint64_t seed = 77;
  const Result whole = train(task, dp_options(sigma, c, seed), {kBatch}, LossReduction::Sum, true);
  const Result micro = train(task, dp_options(sigma, c, seed), {4, 4, 4}, LossReduction::Sum, true);
  const Result micro_implicit = train(task, dp_options(sigma, c, seed), {4, 4, 4}, LossReduction::Sum, false);
  require_same_params(micro, whole, 1e-5, 1e-6);
  require_same_params(micro_implicit, whole, 1e-5, 1e-6);
  REQUIRE(whole.ledger_steps == 1);
  REQUIRE(micro.ledger_steps == 1);  // one logical step, one ledger entry

  // The noise in the update is exactly one draw of N(0, (sigma C)^2) from
  // the stream of (seed, step 0, parameter k): noisy - noiseless =
  // -lr * noise / expected_batch.
  const Result clean = train(task, dp_options(0, c, seed), {4, 4, 4}, LossReduction::Sum, true);
  std::int64_t checked = 0;
  for (std::size_t k = 0; k < micro.params.size(); ++k) {
    const Tensor& p = micro.params[k];
    Tensor noise = Tensor::zeros(p.shape());
    add_gaussian_noise_(noise, sigma * c, NoiseSource::philox(seed, 0, static_cast<std::uint32_t>(k)));
    const auto expected = noise.to_vector<double>();
    const auto noisy = p.to_vector<double>(), noiseless = clean.params[k].to_vector<double>();
    for (std::size_t j = 0; j < expected.size(); ++j) {
      const double recovered = (noiseless[j] - noisy[j]) * kBatch / kLr;
      if (std::fabs(recovered - expected[j]) > 2e-3 * (1 + std::fabs(expected[j]))) {
        FAIL("parameter " << k << " element " << j << ": recovered noise " << recovered << ", expected "
                          << expected[j]);
      }
      ++checked;
    }
  }
  REQUIRE(checked > 20000);
  // A different seed gives a different update.
  const Result other_seed = train(task, dp_options(sigma, c, seed + 1), {4, 4, 4}, LossReduction::Sum, true);
  REQUIRE(max_abs_diff(other_seed.params[0], micro.params[0]) > 1e-3);
}

TEST_CASE("pending_examples tracks the logical batch; misuse is refused", "[privacy][virtual_steps]") {
  const Task task = tasks()[1];
  std::shared_ptr<Module> model = task.make();
  model->set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizer dp(*model, std::make_unique<SGD>(model->parameters(), SGDOptions{kLr}), dp_options(0, 1.0));
  REQUIRE(dp.pending_examples() == 0);
  // Nothing recorded: nothing to accumulate.
  REQUIRE_THROWS_WITH(dp.accumulate_microbatch(), Catch::Contains("no per-sample gradients"));
  cross_entropy((*model)(task.x.slice(0, 0, 3)), task.y.slice(0, 0, 3), LossReduction::Sum).backward();
  dp.accumulate_microbatch();
  REQUIRE(dp.pending_examples() == 3);
  // Two backward passes without accumulating in between are refused, not
  // silently merged or overwritten.
  cross_entropy((*model)(task.x.slice(0, 3, 5)), task.y.slice(0, 3, 5), LossReduction::Sum).backward();
  REQUIRE_THROWS_WITH(
      cross_entropy((*model)(task.x.slice(0, 5, 7)), task.y.slice(0, 5, 7), LossReduction::Sum).backward(),
      Catch::Contains("backward twice"));
  // zero_grad drops the pending logical batch and the records.
  dp.zero_grad();
  REQUIRE(dp.pending_examples() == 0);
  for (const Tensor& p : model->parameters()) REQUIRE(!p.grad().defined());
  for (PerSampleLayer* layer : model->per_sample_layers()) REQUIRE(!layer->has_per_sample());
  // A fresh logical batch after zero_grad.
  cross_entropy((*model)(task.x.slice(0, 0, 6)), task.y.slice(0, 0, 6), LossReduction::Sum).backward();
  dp.accumulate_microbatch();
  REQUIRE(dp.pending_examples() == 6);
  dp.step();
  REQUIRE(dp.pending_examples() == 0);
  REQUIRE(dp.steps_taken() == 1);
}

namespace {

// A model whose first per-sample layer takes no part in the forward pass.
struct UnusedFirstLayer : Module {
  std::shared_ptr<Linear> unused = register_module("unused", std::make_shared<Linear>(6, 3, 1));
  std::shared_ptr<Linear> used = register_module("used", std::make_shared<Linear>(6, 3, 2));
  UnusedFirstLayer() : Module("UnusedFirstLayer") {}
  Tensor forward(const Tensor& x) override { return (*used)(x); }
};

}  // namespace

TEST_CASE("step() never skips a pending micro-batch because one layer has no record", "[privacy][virtual_steps]") {
  UnusedFirstLayer model;
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  REQUIRE(model.per_sample_layers().front() == static_cast<PerSampleLayer*>(model.unused.get()));
  DPOptimizer dp(model, std::make_unique<SGD>(model.parameters(), SGDOptions{kLr}), dp_options(0, 1.0));
  const Tensor before = model.used->weight().clone();
  cross_entropy(model(Tensor::uniform({4, 6}, -1, 1, 3)), Tensor::from_vector<std::int64_t>({0, 1, 2, 0}, {4}),
                LossReduction::Sum)
      .backward();
  // The recorded micro-batch is not dropped: clipping reports the layer
  // without per-sample gradients instead of a silent data-free step.
  REQUIRE_THROWS_WITH(dp.step(), Catch::Contains("no per-sample gradients"));
  REQUIRE(dp.steps_taken() == 0);
  REQUIRE(max_abs_diff(model.used->weight(), before) == 0.0);
}
