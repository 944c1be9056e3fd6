#include "support/per_sample_check.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/losses.h"
#include "veil/layers/per_sample_math.h"

namespace veil::testing {

PerExampleLoss random_projection_loss(std::uint64_t seed) {
  return [seed](const Tensor& output, std::int64_t) {
    Shape sample_shape(output.shape().begin() + 1, output.shape().end());
    Tensor weights = Tensor::uniform(sample_shape, -1.0, 1.0, seed, 7, output.dtype()).to(output.device());
    Tensor weighted = mul(output, weights);
    if (output.dim() == 1) return weighted;
    std::vector<int> dims;
    for (int d = 1; d < output.dim(); ++d) dims.push_back(d);
    return sum(weighted, dims);
  };
}

PerExampleLoss per_example_cross_entropy(const Tensor& labels) {
  return [labels](const Tensor& logits, std::int64_t first) {
    std::vector<Tensor> losses;
    for (std::int64_t i = 0; i < logits.size(0); ++i)
      losses.push_back(cross_entropy(logits.slice(0, i, i + 1), labels.slice(0, first + i, first + i + 1),
                                     LossReduction::Sum)
                           .reshape({1}));
    return concat(losses, 0);
  };
}

namespace {

Tensor zeros_like(const Tensor& t) { return Tensor::zeros(t.shape(), t.dtype(), t.device()); }

Tensor batch_loss(const Tensor& per_example, LossReduction reduction) {
  return reduction == LossReduction::Sum ? sum(per_example) : mean(per_example);
}

std::string describe_norms(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  std::ostringstream os;
  for (std::size_t p = 0; p < a.size(); ++p)
    os << "param " << p << ": |got| " << std::sqrt(per_sample::row_sq_norms(a[p].reshape({1, -1})).item())
       << " |expected| " << std::sqrt(per_sample::row_sq_norms(b[p].reshape({1, -1})).item()) << " max diff "
       << max_abs_diff(a[p], b[p]) << "\n";
  return os.str();
}

// Per-sample gradients per layer and parameter, from one batch backward.
std::vector<std::vector<Tensor>> run_per_sample(Module& model, const Tensor& input, const PerExampleLoss& loss,
                                                GradSampleMode mode, LossReduction reduction) {
  model.zero_grad();
  model.set_per_sample({mode, reduction});
  batch_loss(loss(model(input), 0), reduction).backward();
  std::vector<std::vector<Tensor>> out;
  for (PerSampleLayer* layer : model.per_sample_layers()) {
    REQUIRE(layer->has_per_sample());
    out.push_back(layer->grad_samples());
  }
  return out;
}

}  // namespace

void check_per_sample_gradients(Module& model, const Tensor& input, const PerExampleLoss& loss,
                                const PerSampleCheck& options) {
  const std::int64_t batch = input.size(0);
  const auto layers = model.per_sample_layers();
  REQUIRE(!layers.empty());

  // 1. Materialised per-sample gradients vs single-example backward passes.
  const auto samples = run_per_sample(model, input, loss, GradSampleMode::Materialize, options.reduction);
  model.set_per_sample({GradSampleMode::Off, options.reduction});
  for (std::int64_t i = 0; i < batch; ++i) {
    model.zero_grad();
    sum(loss(model(input.slice(0, i, i + 1)), i)).backward();
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const auto params = layers[l]->per_sample_parameters();
      std::vector<Tensor> got, expected;
      for (std::size_t p = 0; p < params.size(); ++p) {
        got.push_back(samples[l][p].slice(0, i, i + 1).reshape(params[p].shape()));
        expected.push_back(params[p].grad().defined() ? params[p].grad() : zeros_like(params[p]));
      }
      for (std::size_t p = 0; p < params.size(); ++p) {
        INFO("layer " << l << " sample " << i << "\n" << describe_norms(got, expected));
        REQUIRE(allclose(got[p], expected[p], options.rtol, options.atol));
      }
    }
  }

  // 2. They sum to the batch gradient (scaled by 1/B for a mean loss).
  model.zero_grad();
  batch_loss(loss(model(input), 0), options.reduction).backward();
  const double scale = options.reduction == LossReduction::Mean && batch > 0 ? 1.0 / batch : 1.0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto params = layers[l]->per_sample_parameters();
    for (std::size_t p = 0; p < params.size(); ++p) {
      const Tensor summed = mul_scalar(sum(samples[l][p], {0}), scale);
      const Tensor batch_grad = params[p].grad().defined() ? params[p].grad() : zeros_like(params[p]);
      INFO("layer " << l << " param " << p << " sum of per-sample gradients vs batch gradient");
      REQUIRE(allclose(summed, batch_grad, options.rtol, options.atol));
    }
  }

  // 3 and 4. Each route's norms and weighted sums vs the materialised ones.
  std::vector<Tensor> coeffs_per_layer;
  for (GradSampleMode mode : {GradSampleMode::Materialize, GradSampleMode::Ghost, GradSampleMode::Auto}) {
    run_per_sample(model, input, loss, mode, options.reduction);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const auto params = layers[l]->per_sample_parameters();
      const auto norms = layers[l]->per_sample_sq_norms();
      std::vector<Tensor> coeffs;
      for (std::size_t p = 0; p < params.size(); ++p) {
        INFO("layer " << l << " param " << p << " route " << grad_sample_mode_name(layers[l]->route_taken()));
        REQUIRE(allclose(norms[p], per_sample::row_sq_norms(samples[l][p]), options.rtol, options.atol));
        coeffs.push_back(Tensor::uniform({batch}, 0.0, 1.0, 99, l * 16 + p, DType::Float64).to(input.device()));
      }
      for (const Tensor& param : params) param.set_grad(Tensor());
      layers[l]->accumulate_weighted_grads(coeffs);
      for (std::size_t p = 0; p < params.size(); ++p) {
        INFO("layer " << l << " param " << p << " weighted sum, route "
                      << grad_sample_mode_name(layers[l]->route_taken()));
        const Tensor expected = per_sample::weighted_row_sum(samples[l][p], coeffs[p]);
        REQUIRE(params[p].grad().defined());
        REQUIRE(allclose(params[p].grad(), expected, options.rtol, options.atol));
      }
    }
  }
  model.zero_grad();
  model.set_per_sample({GradSampleMode::Off, options.reduction});
}

}  // namespace veil::testing
