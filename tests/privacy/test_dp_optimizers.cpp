// DPOptimizer over SGD (momentum, Nesterov, weight decay), Adam and AdamW,
// and per-layer clipping.
//  - A hand-written double reference of DP-SGD (per-example gradients of a
//    Linear layer under a sum MSE loss, clipping, the Philox noise of
//    (seed, step, parameter), division by q*N) and of PyTorch's update rules,
//    for two steps, against the DPOptimizer.
//  - sigma 0 and C = infinity: the DP optimizer equals the plain one on the
//    same batch with the sum loss divided by the expected batch size.
//  - Per-layer clipping: each parameter's clipped contribution has norm at
//    most its C_p, and the noise std is sigma * sqrt(sum_p C_p^2).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
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
#include "veil/privacy/privacy_engine.h"

using namespace veil;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- reference DP-SGD for y = W x + b, loss sum_i ||y_i - t_i||^2 ----------

struct RefOptimizer {
  std::string kind;  // "sgd", "adam", "adamw"
  double lr = 0, momentum = 0, weight_decay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int t = 0;
  std::vector<std::vector<double>> buf, m, v;

  // PyTorch's torch.optim rules, written out in double.
  void step(std::vector<std::vector<double>>& params, const std::vector<std::vector<double>>& grads) {
    ++t;
    if (buf.empty()) {
      for (const auto& p : params) {
        buf.emplace_back();
        m.emplace_back(p.size(), 0.0);
        v.emplace_back(p.size(), 0.0);
      }
    }
    for (std::size_t k = 0; k < params.size(); ++k) {
      auto& w = params[k];
      for (std::size_t j = 0; j < w.size(); ++j) {
        double g = grads[k][j];
        if (kind == "sgd") {
          g += weight_decay * w[j];
          if (momentum != 0) {
            if (buf[k].empty()) buf[k].assign(w.size(), 0.0);
            buf[k][j] = t == 1 ? g : momentum * buf[k][j] + g;  // first buffer = gradient, no dampening
            g = nesterov ? g + momentum * buf[k][j] : buf[k][j];
          }
          w[j] -= lr * g;
        } else {
          if (kind == "adamw") w[j] -= lr * weight_decay * w[j];
          else g += weight_decay * w[j];
          m[k][j] = beta1 * m[k][j] + (1 - beta1) * g;
          v[k][j] = beta2 * v[k][j] + (1 - beta2) * g * g;
          const double mhat = m[k][j] / (1 - std::pow(beta1, t)), vhat = v[k][j] / (1 - std::pow(beta2, t));
          w[j] -= lr * mhat / (std::sqrt(vhat) + eps);
        }
      }
    }
  }
};

RefOptimizer reference(const std::string& kind, double lr) {
  RefOptimizer r;
  r.kind = kind;
  r.lr = lr;
  return r;
}

std::unique_ptr<Optimizer> make_veil_optimizer(const RefOptimizer& r, const std::vector<Tensor>& params) {
  if (r.kind == "sgd") {
    SGDOptions o;
    o.lr = r.lr;
    o.momentum = r.momentum;
    o.weight_decay = r.weight_decay;
    o.nesterov = r.nesterov;
    return std::make_unique<SGD>(params, o);
  }
  AdamOptions o;
  o.lr = r.lr;
  o.beta1 = r.beta1;
  o.beta2 = r.beta2;
  o.eps = r.eps;
  o.weight_decay = r.weight_decay;
  if (r.kind == "adamw") return make_adamw(params, o);
  return std::make_unique<Adam>(params, o);
}

constexpr std::int64_t kIn = 3, kOut = 2, kB = 5;

// Clipped (flat C), noised and averaged gradient of the Linear model in
// double: params = {W [kOut*kIn], b [kOut]}.
std::vector<std::vector<double>> reference_dp_gradient(const std::vector<std::vector<double>>& params,
                                                       const std::vector<double>& x, const std::vector<double>& t,
                                                       double clip, double sigma, std::uint64_t seed,
                                                       std::uint64_t step, double expected_batch) {
  const auto& w = params[0];
  const auto& b = params[1];
  std::vector<std::vector<double>> sum{std::vector<double>(kOut * kIn, 0.0), std::vector<double>(kOut, 0.0)};
  for (std::int64_t i = 0; i < kB; ++i) {
    std::vector<double> r(kOut);
    double r_sq = 0, x_sq = 0;
    for (std::int64_t o = 0; o < kOut; ++o) {
      double y = b[o];
      for (std::int64_t d = 0; d < kIn; ++d) y += w[o * kIn + d] * x[i * kIn + d];
      r[o] = 2 * (y - t[i * kOut + o]);
      r_sq += r[o] * r[o];
    }
    for (std::int64_t d = 0; d < kIn; ++d) x_sq += x[i * kIn + d] * x[i * kIn + d];
    const double norm = std::sqrt(r_sq * x_sq + r_sq);  // ||dW_i||^2 + ||db_i||^2
    const double c = std::min(1.0, clip / (norm + 1e-6));
    for (std::int64_t o = 0; o < kOut; ++o) {
      for (std::int64_t d = 0; d < kIn; ++d) sum[0][o * kIn + d] += c * r[o] * x[i * kIn + d];
      sum[1][o] += c * r[o];
    }
  }
  for (std::size_t k = 0; k < sum.size(); ++k) {
    if (sigma > 0) {
      const Tensor noise_tensor = Tensor::zeros({static_cast<std::int64_t>(sum[k].size())});
      add_gaussian_noise_(noise_tensor, sigma * clip, NoiseSource::philox(seed, step, static_cast<std::uint32_t>(k)));
      const std::vector<float> noise = noise_tensor.to_vector<float>();
      for (std::size_t j = 0; j < noise.size(); ++j) sum[k][j] += noise[j];
    }
    for (double& g : sum[k]) g /= expected_batch;
  }
  return sum;
}

// Runs two DP steps with the veil optimizer and the reference and compares.
void check_against_reference(RefOptimizer ref, double clip, double sigma) {
  const std::uint64_t seed = 1234;
  const double expected_batch = 4.0;  // q N, deliberately not the realised 5
  Linear model(kIn, kOut, 7);
  model.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  std::vector<std::vector<double>> params{model.weight().to_vector<double>(), model.bias().to_vector<double>()};
  DPOptimizerOptions options;
  options.noise_multiplier = sigma;
  options.clipping.max_grad_norm = clip;
  options.expected_batch_size = expected_batch;
  options.sample_rate = 0.1;
  options.noise_seed = seed;
  DPOptimizer dp(model, make_veil_optimizer(ref, model.parameters()), options);
  for (std::uint64_t step = 0; step < 2; ++step) {
    const Tensor x = Tensor::uniform({kB, kIn}, -1.5, 1.5, 40 + step);
    const Tensor t = Tensor::uniform({kB, kOut}, -1, 1, 50 + step);
    const auto grads = reference_dp_gradient(params, x.to_vector<double>(), t.to_vector<double>(), clip, sigma, seed,
                                             step, expected_batch);
    ref.step(params, grads);
    mse_loss(model(x), t, LossReduction::Sum).backward();
    dp.step();
    if (std::isfinite(clip)) REQUIRE(dp.last_clipping().clipped_fraction() > 0);  // clipping was active
    const auto w = model.weight().to_vector<double>(), b = model.bias().to_vector<double>();
    for (std::size_t j = 0; j < w.size(); ++j) {
      INFO("step " << step << " W[" << j << "]");
      REQUIRE(w[j] == Approx(params[0][j]).margin(2e-6).epsilon(1e-5));
    }
    for (std::size_t j = 0; j < b.size(); ++j) {
      INFO("step " << step << " b[" << j << "]");
      REQUIRE(b[j] == Approx(params[1][j]).margin(2e-6).epsilon(1e-5));
    }
  }
  REQUIRE(dp.steps_taken() == 2);
  REQUIRE(dp.ledger().total_steps() == 2);  // noiseless steps are recorded too
  REQUIRE(dp.ledger().has_noiseless_step() == (sigma == 0));
}

}  // namespace

TEST_CASE("DP-SGD with momentum, Nesterov and weight decay matches a hand-computed reference", "[privacy][dp_optimizers]") {
  RefOptimizer sgd = reference("sgd", 0.2);
  sgd.momentum = 0.9;
  sgd.weight_decay = 0.05;
  SECTION("momentum and weight decay, clipped, no noise") { check_against_reference(sgd, 0.8, 0.0); }
  SECTION("momentum and weight decay, clipped, noise") { check_against_reference(sgd, 0.8, 1.1); }
  sgd.nesterov = true;
  SECTION("Nesterov, clipped, noise") { check_against_reference(sgd, 0.8, 1.1); }
  SECTION("Nesterov, no clipping, no noise") { check_against_reference(sgd, kInf, 0.0); }
}

TEST_CASE("DP-Adam and DP-AdamW match a hand-computed reference", "[privacy][dp_optimizers]") {
  RefOptimizer adam = reference("adam", 0.05);
  adam.weight_decay = 0.1;
  RefOptimizer adamw = reference("adamw", 0.05);
  adamw.weight_decay = 0.1;
  SECTION("Adam with L2 weight decay, clipped") { check_against_reference(adam, 0.8, 0.0); }
  SECTION("Adam, clipped, noise") { check_against_reference(adam, 0.8, 0.9); }
  SECTION("AdamW, clipped") { check_against_reference(adamw, 0.8, 0.0); }
  SECTION("AdamW, clipped, noise") { check_against_reference(adamw, 0.8, 0.9); }
}

TEST_CASE("sigma 0 and C = infinity: the DP optimizer equals the plain one", "[privacy][dp_optimizers]") {
  using Factory = std::function<std::unique_ptr<Optimizer>(const std::vector<Tensor>&)>;
  const std::vector<std::pair<const char*, Factory>> optimizers = {
      {"Adam", [](const std::vector<Tensor>& p) { return std::make_unique<Adam>(p, AdamOptions{1e-3}); }},
      {"AdamW",
       [](const std::vector<Tensor>& p) {
         AdamOptions o;
         o.lr = 1e-3;
         o.weight_decay = 0.01;
         return make_adamw(p, o);
       }},
      {"SGD momentum Nesterov weight decay",
       [](const std::vector<Tensor>& p) {
         SGDOptions o;
         o.lr = 0.05;
         o.momentum = 0.9;
         o.nesterov = true;
         o.weight_decay = 1e-3;
         return std::make_unique<SGD>(p, o);
       }},
  };
  const double expected_batch = 8.0;  // realised batches are 6, as with Poisson sampling
  for (const auto& [name, make] : optimizers) {
    INFO(name);
    SampleConvNet plain(3), priv(3);
    auto plain_opt = make(plain.parameters());
    DPOptimizerOptions options;
    options.noise_multiplier = 0.0;
    options.clipping.max_grad_norm = kInf;
    options.expected_batch_size = expected_batch;
    options.sample_rate = 0.5;
    priv.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
    DPOptimizer dp(priv, make(priv.parameters()), options);
    for (std::uint64_t step = 0; step < 3; ++step) {
      const Tensor x = Tensor::uniform({6, 1, 28, 28}, 0, 1, 60 + step);
      const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 4, 5}, {6});
      mul_scalar(cross_entropy(plain(x), y, LossReduction::Sum), 1.0 / expected_batch).backward();
      plain_opt->step();
      plain_opt->zero_grad();
      cross_entropy(priv(x), y, LossReduction::Sum).backward();
      dp.step();
      const auto a = plain.named_parameters(), b = priv.named_parameters();
      for (std::size_t k = 0; k < a.size(); ++k) {
        INFO("step " << step << " " << a[k].first << " max |diff| " << max_abs_diff(a[k].second, b[k].second));
        REQUIRE(allclose(a[k].second, b[k].second, 1e-4, 2e-6));
      }
    }
    // The optimizers moved the weights (the comparison is not vacuous).
    REQUIRE(max_abs_diff(plain.parameters()[0], SampleConvNet(3).parameters()[0]) > 1e-4);
  }
}

namespace {

std::shared_ptr<Sequential> two_layer_net() {
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(5, 4, 1), std::make_shared<Tanh>(), std::make_shared<Linear>(4, 3, 2)});
}

double l2(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("Per-layer clipping bounds each parameter's contribution by its own threshold", "[privacy][clipping]") {
  const std::vector<double> thresholds{1.5, 0.5, 2.0, 2.5};  // 0.weight, 0.bias, 2.weight, 2.bias
  const std::int64_t batch = 8;
  const Tensor x = Tensor::uniform({batch, 5}, -2, 2, 9);
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 0, 1}, {batch});
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost}) {
    INFO("mode " << grad_sample_mode_name(mode));
    auto net = two_layer_net();
    net->set_per_sample({mode, LossReduction::Sum});
    mul_scalar(cross_entropy((*net)(x), y, LossReduction::Sum), 3.0).backward();
    // Per-example gradients of each parameter before clipping.
    std::vector<Tensor> samples;
    for (PerSampleLayer* layer : net->per_sample_layers())
      for (const Tensor& g : layer->grad_samples()) samples.push_back(g.clone());
    REQUIRE(samples.size() == thresholds.size());

    ClippingConfig config;
    config.per_parameter_norms = thresholds;
    const ClippingStats stats = clip_and_accumulate(net->per_sample_layers(), config);
    REQUIRE(stats.batch_size == batch);
    const std::vector<double> norms = stats.norm_values();

    const std::vector<Tensor> params = net->parameters();
    std::int64_t clipped = 0, unclipped = 0, examples_clipped = 0;
    std::vector<std::vector<double>> expected(params.size());
    for (std::size_t p = 0; p < params.size(); ++p) expected[p].assign(params[p].numel(), 0.0);
    for (std::int64_t i = 0; i < batch; ++i) {
      double total_sq = 0;
      bool any = false;
      for (std::size_t p = 0; p < params.size(); ++p) {
        const auto g = samples[p].slice(0, i, i + 1).to_vector<double>();
        const double n = l2(g);
        total_sq += n * n;
        const double c = std::min(1.0, thresholds[p] / (n + 1e-6));
        // The clipped contribution of example i to parameter p.
        INFO("example " << i << " parameter " << p << " norm " << n);
        REQUIRE(c * n <= thresholds[p] * (1 + 1e-6));
        if (c < 1) {
          ++clipped;
          any = true;
          REQUIRE(c * n == Approx(thresholds[p]).epsilon(1e-5));  // clipped exactly to C_p
        } else {
          ++unclipped;
        }
        for (std::size_t j = 0; j < g.size(); ++j) expected[p][j] += c * g[j];
      }
      examples_clipped += any;
      // The stats report the flat (whole-example) norm.
      REQUIRE(norms[i] == Approx(std::sqrt(total_sq)).epsilon(1e-5));
    }
    REQUIRE(clipped > 0);
    REQUIRE(unclipped > 0);
    REQUIRE(stats.clipped_fraction() == Approx(static_cast<double>(examples_clipped) / batch));
    // The accumulated gradient is sum_i c_{i,p} g_{i,p}.
    for (std::size_t p = 0; p < params.size(); ++p) {
      const auto got = params[p].grad().to_vector<double>();
      for (std::size_t j = 0; j < got.size(); ++j) {
        INFO("parameter " << p << " element " << j);
        REQUIRE(got[j] == Approx(expected[p][j]).margin(1e-5).epsilon(1e-4));
      }
    }
  }
}

TEST_CASE("Per-layer clipping: sensitivity sqrt(sum C_p^2) sets the noise std", "[privacy][clipping]") {
  const std::vector<double> thresholds{1.5, 0.5, 2.0, 2.5};
  ClippingConfig config;
  config.per_parameter_norms = thresholds;
  const double s = std::sqrt(2.25 + 0.25 + 4.0 + 6.25);
  REQUIRE(config.sensitivity() == Approx(s).epsilon(1e-12));
  REQUIRE(ClippingConfig{0.7, {}}.sensitivity() == 0.7);

  // A noise-only step (empty Poisson batch): update = -lr * noise / (q N).
  auto net = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(60, 50, 1), std::make_shared<Tanh>(), std::make_shared<Linear>(50, 40, 2)});
  net->set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  std::vector<Tensor> before;
  for (const Tensor& p : net->parameters()) before.push_back(p.clone());
  const double sigma = 2.0, lr = 0.5, expected_batch = 4.0;
  const std::uint64_t seed = 99;
  DPOptimizerOptions options;
  options.noise_multiplier = sigma;
  options.clipping = config;
  options.expected_batch_size = expected_batch;
  options.sample_rate = 0.01;
  options.noise_seed = seed;
  DPOptimizer dp(*net, std::make_unique<SGD>(net->parameters(), SGDOptions{lr}), options);
  sum((*net)(Tensor::zeros({0, 60}))).backward();
  dp.step();
  const std::vector<Tensor> after = net->parameters();
  std::vector<double> recovered;
  for (std::size_t k = 0; k < after.size(); ++k) {
    const auto b = before[k].to_vector<double>(), a = after[k].to_vector<double>();
    const Tensor noise_tensor = Tensor::zeros({static_cast<std::int64_t>(b.size())});
    add_gaussian_noise_(noise_tensor, sigma * s, NoiseSource::philox(seed, 0, static_cast<std::uint32_t>(k)));
    const std::vector<float> noise = noise_tensor.to_vector<float>();
    for (std::size_t j = 0; j < b.size(); ++j) {
      const double r = (b[j] - a[j]) * expected_batch / lr;
      recovered.push_back(r);
      if (std::fabs(r - noise[j]) > 1e-4 * (1 + std::fabs(noise[j])))
        FAIL("parameter " << k << " element " << j << ": noise " << r << ", expected " << noise[j]);
    }
  }
  // And its spread is sigma * S (5090 draws: the sample sd is within 6%).
  double mean = 0, var = 0;
  for (double r : recovered) mean += r;
  mean /= static_cast<double>(recovered.size());
  for (double r : recovered) var += (r - mean) * (r - mean);
  var /= static_cast<double>(recovered.size() - 1);
  REQUIRE(std::sqrt(var) == Approx(sigma * s).epsilon(0.06));
  REQUIRE(std::fabs(mean) < 5 * sigma * s / std::sqrt(static_cast<double>(recovered.size())));

  // The engine passes per-layer thresholds through and reports S.
  auto net2 = two_layer_net();
  auto ds = std::make_shared<data::TensorDataset>(Tensor::zeros({40, 5}), Tensor::zeros({40}, DType::Int64));
  data::DataLoader loader(ds, 10, false, false, 0);
  PrivacyEngine engine;
  MakePrivateOptions mp;
  mp.per_layer_max_grad_norms = thresholds;
  auto priv = engine.make_private(*net2, std::make_unique<SGD>(net2->parameters(), SGDOptions{0.1}), loader, 1.0, 1.0, mp);
  REQUIRE(priv.optimizer->options().clipping.per_layer());
  REQUIRE(priv.optimizer->options().clipping.sensitivity() == Approx(s));
}

TEST_CASE("Per-layer clipping needs one threshold per parameter", "[privacy][clipping]") {
  auto net = two_layer_net();
  net->set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  cross_entropy((*net)(Tensor::uniform({3, 5}, -1, 1, 4)), Tensor::from_vector<std::int64_t>({0, 1, 2}, {3}),
                LossReduction::Sum)
      .backward();
  ClippingConfig config;
  config.per_parameter_norms = {0.1, 0.2, 0.3};
  REQUIRE_THROWS_WITH(clip_and_accumulate(net->per_sample_layers(), config), Catch::Contains("3 thresholds for 4"));
}

TEST_CASE("Parameter-free normalisation layers take no part in clipping", "[privacy][dp_optimizers]") {
  // A LayerNorm without affine parameters first (its input needs no
  // gradient, so its backward never runs) and another between the Linears.
  auto make = [] {
    return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
        std::make_shared<LayerNorm>(Shape{6}, 1e-5, false), std::make_shared<Linear>(6, 5, 1),
        std::make_shared<LayerNorm>(Shape{5}, 1e-5, false), std::make_shared<Tanh>(), std::make_shared<Linear>(5, 3, 2)});
  };
  auto priv = make(), plain = make();
  REQUIRE(priv->per_sample_layers().size() == 2);  // the two Linears
  const Tensor x = Tensor::uniform({7, 6}, -2, 2, 3);
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 0}, {7});
  DPOptimizerOptions options;
  options.noise_multiplier = 0.0;
  options.clipping.max_grad_norm = kInf;
  options.expected_batch_size = 7.0;
  options.sample_rate = 0.5;
  priv->set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  DPOptimizer dp(*priv, std::make_unique<SGD>(priv->parameters(), SGDOptions{0.3}), options);
  SGD sgd(plain->parameters(), SGDOptions{0.3});
  for (int step = 0; step < 2; ++step) {
    cross_entropy((*priv)(x), y, LossReduction::Sum).backward();
    dp.step();
    mul_scalar(cross_entropy((*plain)(x), y, LossReduction::Sum), 1.0 / 7).backward();
    sgd.step();
    sgd.zero_grad();
  }
  const auto a = plain->parameters(), b = priv->parameters();
  REQUIRE(a.size() == 4);
  for (std::size_t k = 0; k < a.size(); ++k) REQUIRE(allclose(a[k], b[k], 1e-5, 1e-6));
  REQUIRE(max_abs_diff(a[0], make()->parameters()[0]) > 1e-4);
}
