#include "veil/layers/linear.h"

#include <cmath>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/core/cpu/gemm.h"
#include "veil/core/device_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

// Rows are the B*T positions: x [N, D_in], g [N, D_out] (g already scaled
// to per-example losses).
struct Linear::Record : PerSampleRecord {
  Tensor x, g;
  std::int64_t positions = 1;
  GradSampleMode requested = GradSampleMode::Auto;
  Tensor weight_samples, bias_samples;  // materialised [B, ...], lazily

  // Another call's positions join this call's, example by example.
  void append_call(const PerSampleRecord& other) override {
    const auto& o = static_cast<const Record&>(other);
    const std::int64_t in = x.size(1), out = g.size(1), total = positions + o.positions;
    x = concat({x.reshape({batch, positions, in}), o.x.reshape({batch, o.positions, in})}, 1).reshape({batch * total, in});
    g = concat({g.reshape({batch, positions, out}), o.g.reshape({batch, o.positions, out})}, 1)
            .reshape({batch * total, out});
    positions = total;
    route = choose_route(requested, positions, in, out);
    weight_samples = bias_samples = Tensor();
  }
};

Linear::Linear(std::int64_t in_features, std::int64_t out_features, std::uint64_t seed, bool bias)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  VEIL_CHECK(in_features > 0 && out_features > 0) << "Linear(" << in_features << ", " << out_features
                                                  << "): sizes must be positive";
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight_ = register_parameter("weight", Tensor::uniform({out_features, in_features}, -bound, bound, seed, 0));
  if (bias) bias_ = register_parameter("bias", Tensor::uniform({out_features}, -bound, bound, seed, 1));
}

Linear::Linear(Tensor weight, Tensor bias) : Module("Linear") {
  VEIL_CHECK(weight.defined() && weight.dim() == 2 && is_floating(weight.dtype()))
      << "Linear: a shared weight must be a floating-point [out_features, in_features] tensor";
  out_features_ = weight.size(0);
  in_features_ = weight.size(1);
  VEIL_CHECK(!bias.defined() || (bias.shape() == Shape{out_features_} && bias.dtype() == weight.dtype()))
      << "Linear: a shared bias must have shape [" << out_features_ << "] and the weight's dtype";
  weight_ = register_parameter("weight", std::move(weight));
  if (bias.defined()) bias_ = register_parameter("bias", std::move(bias));
}

std::string Linear::describe() const {
  std::ostringstream os;
  os << "Linear(in_features=" << in_features_ << ", out_features=" << out_features_
     << ", bias=" << (bias_.defined() ? "true" : "false") << ")";
  return os.str();
}

namespace {

template <typename T>
void add_bias_rows(T* y, const T* b, std::int64_t rows, std::int64_t cols) {
  parallel_for(rows, 64, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t c = 0; c < cols; ++c) y[r * cols + c] += b[c];
  });
}

}  // namespace

Tensor Linear::forward(const Tensor& input) {
  require_cpu(input, "Linear");
  VEIL_CHECK((input.dim() == 2 || input.dim() == 3) && input.size(-1) == in_features_)
      << describe() << " expects input [B, " << in_features_ << "] or [B, T, " << in_features_ << "], got "
      << input.shape();
  VEIL_CHECK(input.dtype() == weight_.dtype()) << describe() << ": input dtype " << input.dtype()
                                               << " does not match the weight's " << weight_.dtype();
  const std::int64_t batch = input.size(0);
  const std::int64_t positions = input.dim() == 3 ? input.size(1) : 1;
  const std::int64_t rows = batch * positions;
  const Tensor x = input.detach().contiguous();
  Shape out_shape = input.shape();
  out_shape.back() = out_features_;
  Tensor y = Tensor::empty(out_shape, input.dtype());
  dispatch_floating(x.dtype(), "Linear", [&]<typename T>() {
    cpu::gemm<T>(false, true, rows, out_features_, in_features_, T(1), x.data<T>(), in_features_,
                 weight_.data<T>(), in_features_, T(0), y.data<T>(), out_features_);
    if (bias_.defined()) add_bias_rows(y.data<T>(), bias_.data<T>(), rows, out_features_);
  });

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  auto backward = [=, this, weight = weight_.detach(), has_bias = bias_.defined()](const Tensor& grad) {
    const Tensor g = grad.contiguous();
    std::vector<Tensor> grads(3);
    dispatch_floating(g.dtype(), "Linear backward", [&]<typename T>() {
      if (input_needs_grad) {
        Tensor dx = Tensor::empty(x.shape(), x.dtype());
        cpu::gemm<T>(false, false, rows, in_features_, out_features_, T(1), g.data<T>(), out_features_,
                     weight.data<T>(), in_features_, T(0), dx.data<T>(), in_features_);
        grads[0] = dx;
      }
      if (config.enabled()) {
        // Per-sample recording replaces the summed parameter gradients.
        auto rec = std::make_shared<Record>();
        rec->x = x.reshape({rows, in_features_});
        const double scale = per_sample::reduction_scale(config.loss_reduction, batch);
        rec->g = (scale == 1.0 ? g : mul_scalar(g, scale)).reshape({rows, out_features_});
        rec->batch = batch;
        rec->positions = positions;
        rec->requested = config.mode;
        rec->route = choose_route(config.mode, positions, in_features_, out_features_);
        keep_record(rec, describe());
        return;
      }
      Tensor dw = Tensor::empty(weight.shape(), g.dtype());
      cpu::gemm<T>(true, false, out_features_, in_features_, rows, T(1), g.data<T>(), out_features_, x.data<T>(),
                   in_features_, T(0), dw.data<T>(), in_features_);
      grads[1] = dw;
      if (has_bias) grads[2] = sum_to(g.reshape({rows, out_features_}), {out_features_});
    });
    return grads;
  };
  return autograd::record_op("Linear", y, {input, weight_, bias_}, backward);
}

// ---- per-sample rule -----------------------------------------------------------

std::vector<Tensor> Linear::per_sample_parameters() const {
  if (bias_.defined()) return {weight_, bias_};
  return {weight_};
}

std::vector<Tensor> Linear::grad_samples() {
  Record& r = record<Record>(describe());
  if (!r.weight_samples.defined()) {
    const std::int64_t b = r.batch, t = r.positions;
    r.weight_samples = Tensor::empty({b, out_features_, in_features_}, r.x.dtype());
    dispatch_floating(r.x.dtype(), "Linear grad_samples", [&]<typename T>() {
      const T* px = r.x.data<T>();
      const T* pg = r.g.data<T>();
      T* pw = r.weight_samples.data<T>();
      parallel_for(b, 1, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
          cpu::gemm<T>(true, false, out_features_, in_features_, t, T(1), pg + i * t * out_features_, out_features_,
                       px + i * t * in_features_, in_features_, T(0), pw + i * out_features_ * in_features_,
                       in_features_);
      });
    });
    if (bias_.defined()) r.bias_samples = sum(r.g.reshape({b, t, out_features_}), {1});
  }
  if (bias_.defined()) return {r.weight_samples, r.bias_samples};
  return {r.weight_samples};
}

std::vector<Tensor> Linear::per_sample_sq_norms() {
  Record& r = record<Record>(describe());
  std::vector<Tensor> norms;
  if (r.route == GradSampleMode::Materialize) return per_sample::materialized_sq_norms(grad_samples());
  const std::int64_t b = r.batch, t = r.positions;
  Tensor weight_norms = Tensor::empty({b}, DType::Float64);
  double* pn = weight_norms.data<double>();
  dispatch_floating(r.x.dtype(), "Linear ghost norms", [&]<typename T>() {
    const T* px = r.x.data<T>();
    const T* pg = r.g.data<T>();
    parallel_for(b, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<T> gram_x(t * t), gram_g(t * t);
      for (std::int64_t i = i0; i < i1; ++i) {
        const T* xi = px + i * t * in_features_;
        const T* gi = pg + i * t * out_features_;
        // <x_i x_i^T, g_i g_i^T>; for T = 1 this is ||x_i||^2 ||g_i||^2.
        cpu::gemm<T>(false, true, t, t, in_features_, T(1), xi, in_features_, xi, in_features_, T(0), gram_x.data(), t);
        cpu::gemm<T>(false, true, t, t, out_features_, T(1), gi, out_features_, gi, out_features_, T(0), gram_g.data(),
                     t);
        double acc = 0.0;
        for (std::int64_t k = 0; k < t * t; ++k) acc += static_cast<double>(gram_x[k]) * gram_g[k];
        pn[i] = acc;
      }
    });
  });
  norms.push_back(weight_norms);
  if (bias_.defined()) norms.push_back(per_sample::row_sq_norms(sum(r.g.reshape({b, t, out_features_}), {1})));
  return norms;
}

void Linear::accumulate_weighted_grads(const std::vector<Tensor>& coeffs) {
  Record& r = record<Record>(describe());
  per_sample::check_coefficients(describe(), coeffs, per_sample_parameters().size());
  const std::int64_t b = r.batch, t = r.positions;
  if (r.route == GradSampleMode::Materialize) {
    per_sample::accumulate_materialized(per_sample_parameters(), grad_samples(), coeffs);
    return;
  }
  // Ghost: scale each example's rows of g by c_i, then one GEMM over all rows.
  if (coeffs[0].defined()) {
    const Tensor g_scaled = per_sample::scale_rows(r.g.reshape({b, t, out_features_}), coeffs[0]);
    const Tensor x = per_sample::zero_dropped_rows(r.x.reshape({b, t, in_features_}), coeffs[0]);
    Tensor dw = Tensor::empty(weight_.shape(), r.x.dtype());
    dispatch_floating(r.x.dtype(), "Linear weighted grads", [&]<typename T>() {
      cpu::gemm<T>(true, false, out_features_, in_features_, b * t, T(1), g_scaled.data<T>(), out_features_,
                   x.data<T>(), in_features_, T(0), dw.data<T>(), in_features_);
    });
    per_sample::add_into_grad(weight_, dw);
  }
  if (bias_.defined() && coeffs[1].defined()) {
    const Tensor g_bias = per_sample::scale_rows(r.g.reshape({b, t, out_features_}), coeffs[1]);
    per_sample::add_into_grad(bias_, sum(g_bias, {0, 1}));
  }
}

}  // namespace veil
