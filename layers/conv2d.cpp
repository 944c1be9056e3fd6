#include "veil/layers/conv2d.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/core/cpu/gemm.h"
#include "veil/core/cpu/gemm_small_n.h"
#include "veil/core/cpu/im2col.h"
#include "veil/core/device_check.h"
#include "veil/core/parallel.h"
#include "veil/layers/per_sample_math.h"

namespace veil {

// Note [Conv2d row layout]
// Conv2d works in the row layout: rows [B*L, C_in*kh*kw] (one patch per
// output position, see cpu::im2row_image) and output gradients transposed to
// [B*L, C_out]. The whole batch's forward, input gradient and weight gradient
// are then each one GEMM per group, instead of B small ones that repack the
// weight every time. Per-sample rules take sample i's block of L rows.
struct Conv2d::Record : PerSampleRecord {
  Tensor rows;  // [B, L, C_in*kh*kw]
  Tensor g;     // [B, L, C_out], scaled to per-example losses
  std::int64_t groups = 1;
  GradSampleMode requested = GradSampleMode::Auto;
  Tensor weight_samples;  // materialised [B, C_out, C_in/G*kh*kw], lazily

  // Another call's output positions join this call's L, example by example.
  void append_call(const PerSampleRecord& other) override {
    const auto& o = static_cast<const Record&>(other);
    rows = concat({rows, o.rows}, 1);
    g = concat({g, o.g}, 1);
    route = choose_route(requested, rows.size(1), rows.size(2) / groups, g.size(2) / groups);
    weight_samples = Tensor();
  }
};

Conv2dOptions Conv2dOptions::square(std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation, std::int64_t groups, bool bias) {
  return {kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups, bias};
}

namespace {

// Sizes of the per-group GEMMs: k = C_in/G*kh*kw patch entries per group,
// l output positions per sample.
struct ConvDims {
  std::int64_t groups, out_per_group, k, l;
  std::int64_t patch() const { return groups * k; }
  std::int64_t out_channels() const { return groups * out_per_group; }
};

// dw (+)= sum over rows of g[:, grp]^T rows[:, grp], as [C_out, k]. The rows
// are split into one contiguous range per thread, each summed by one GEMM
// into its own buffer; the buffers are then added in order, so the result
// does not depend on scheduling.
template <typename T>
void accumulate_weight_grad(const T* rows, const T* g, std::int64_t total_rows, const ConvDims& d, T* dw) {
  const std::int64_t size = d.out_channels() * d.k;
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), std::max<std::int64_t>(total_rows / 64, 1)));
  std::vector<std::vector<T>> partial(threads, std::vector<T>(size, T(0)));
  parallel_for(threads, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t r0 = total_rows * t / threads, r1 = total_rows * (t + 1) / threads;
      for (std::int64_t grp = 0; grp < d.groups; ++grp)
        cpu::gemm<T>(true, false, d.out_per_group, d.k, r1 - r0, T(1),
                     g + r0 * d.out_channels() + grp * d.out_per_group, d.out_channels(),
                     rows + r0 * d.patch() + grp * d.k, d.patch(), T(0), partial[t].data() + grp * d.out_per_group * d.k,
                     d.k);
    }
  });
  for (std::int64_t j = 0; j < size; ++j) {
    T total = T(0);
    for (const auto& p : partial) total += p[j];
    dw[j] += total;
  }
}

// [B, C, L] <-> [B, L, C], per sample.
template <typename T>
void transpose_samples(const T* in, std::int64_t batch, std::int64_t a, std::int64_t b, T* out) {
  parallel_for(batch, 4, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i)
      for (std::int64_t x = 0; x < a; ++x)
        for (std::int64_t y = 0; y < b; ++y) out[(i * b + y) * a + x] = in[(i * a + x) * b + y];
  });
}

// Per-sample bias gradients: sum over each sample's L rows of g [B, L, C].
Tensor sum_positions(const Tensor& g) {
  const std::int64_t batch = g.size(0), l = g.size(1), c = g.size(2);
  Tensor out = Tensor::zeros({batch, c}, g.dtype());
  dispatch_floating(g.dtype(), "Conv2d bias samples", [&]<typename T>() {
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 8, [&](std::int64_t i0, std::int64_t i1) {
      for (std::int64_t i = i0; i < i1; ++i)
        for (std::int64_t p = 0; p < l; ++p)
          for (std::int64_t ch = 0; ch < c; ++ch) po[i * c + ch] += pg[(i * l + p) * c + ch];
    });
  });
  return out;
}

}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options, std::uint64_t seed)
    : Conv2d("Conv2d", in_channels, out_channels, options, seed,
             {out_channels, options.groups > 0 ? in_channels / options.groups : 0, options.kernel_h,
              options.kernel_w}) {}

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
               std::int64_t stride, std::int64_t padding)
    : Conv2d(in_channels, out_channels, Conv2dOptions::square(kernel, stride, padding), seed) {}

Conv2d::Conv2d(std::string type_name, std::int64_t in_channels, std::int64_t out_channels,
               const Conv2dOptions& options, std::uint64_t seed, const Shape& weight_shape)
    : Module(std::move(type_name)), in_channels_(in_channels), out_channels_(out_channels), options_(options) {
  VEIL_CHECK(in_channels > 0 && out_channels > 0) << "Conv(" << in_channels << ", " << out_channels << "): channel counts must be positive";
  VEIL_CHECK(options.groups > 0 && in_channels % options.groups == 0 && out_channels % options.groups == 0)
      << "Conv: groups=" << options.groups << " must divide in_channels=" << in_channels
      << " and out_channels=" << out_channels;
  VEIL_CHECK(options.kernel_h > 0 && options.kernel_w > 0 && options.stride_h > 0 && options.stride_w > 0 &&
             options.dilation_h > 0 && options.dilation_w > 0 && options.padding_h >= 0 && options.padding_w >= 0)
      << "Conv: kernel, stride and dilation must be positive and padding non-negative";
  const double fan_in = static_cast<double>(in_channels / options.groups * options.kernel_h * options.kernel_w);
  const double bound = 1.0 / std::sqrt(fan_in);
  weight_ = register_parameter("weight", Tensor::uniform(weight_shape, -bound, bound, seed, 0));
  if (options.bias) bias_ = register_parameter("bias", Tensor::uniform({out_channels}, -bound, bound, seed, 1));
}

Conv2dGeometry Conv2d::geometry() const {
  return {options_.kernel_h,  options_.kernel_w,  options_.stride_h,   options_.stride_w,
          options_.padding_h, options_.padding_w, options_.dilation_h, options_.dilation_w};
}

std::string Conv2d::describe() const {
  std::ostringstream os;
  os << type_name() << "(" << in_channels_ << ", " << out_channels_ << ", kernel_size=(" << options_.kernel_h << ", "
     << options_.kernel_w << "), stride=(" << options_.stride_h << ", " << options_.stride_w << ")";
  if (options_.padding_h || options_.padding_w)
    os << ", padding=(" << options_.padding_h << ", " << options_.padding_w << ")";
  if (options_.dilation_h != 1 || options_.dilation_w != 1)
    os << ", dilation=(" << options_.dilation_h << ", " << options_.dilation_w << ")";
  if (options_.groups != 1) os << ", groups=" << options_.groups;
  if (!options_.bias) os << ", bias=false";
  return os.str() + ")";
}

Tensor Conv2d::forward(const Tensor& input) {
  require_cpu(input, "Conv2d");
  VEIL_CHECK(input.dim() == 4 && input.size(1) == in_channels_)
      << describe() << " expects input [B, " << in_channels_ << ", H, W], got " << input.shape();
  VEIL_CHECK(input.dtype() == weight_.dtype())
      << describe() << ": input dtype " << input.dtype() << " does not match the weight's " << weight_.dtype();
  const Conv2dGeometry geo = geometry();
  const Tensor x = input.detach().contiguous();
  const std::int64_t batch = x.size(0), height = x.size(2), width = x.size(3);
  const std::int64_t out_h = geo.out_h(height), out_w = geo.out_w(width);
  const ConvDims d{options_.groups, out_channels_ / options_.groups,
                   in_channels_ / options_.groups * options_.kernel_h * options_.kernel_w, out_h * out_w};
  const std::int64_t image = in_channels_ * height * width;
  const std::int64_t scratch = cpu::padded_size(in_channels_, height, width, geo);
  // See Note [Conv2d row layout].
  Tensor rows = Tensor::empty({batch, d.l, d.patch()}, x.dtype());
  Tensor y = Tensor::empty({batch, out_channels_, out_h, out_w}, x.dtype());
  dispatch_floating(x.dtype(), "Conv2d", [&]<typename T>() {
    const T* px = x.data<T>();
    T* pr = rows.data<T>();
    parallel_for(batch, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<T> padded(scratch);
      for (std::int64_t i = i0; i < i1; ++i)
        cpu::im2row_image(px + i * image, in_channels_, height, width, geo, pr + i * d.l * d.patch(), padded.data());
    });
    const Tensor y_rows = Tensor::empty({batch * d.l, out_channels_}, x.dtype());
    for (std::int64_t grp = 0; grp < d.groups; ++grp) {
      const T* w = weight_.data<T>() + grp * d.out_per_group * d.k;
      T* out = y_rows.data<T>() + grp * d.out_per_group;
      if (cpu::small_n_supported(d.out_per_group))
        cpu::gemm_small_n<T>(batch * d.l, d.out_per_group, d.k, pr + grp * d.k, d.patch(), w, d.k, out, out_channels_);
      else
        cpu::gemm<T>(false, true, batch * d.l, d.out_per_group, d.k, T(1), pr + grp * d.k, d.patch(), w, d.k, T(0), out,
                     out_channels_);
    }
    T* py = y.data<T>();
    transpose_samples(y_rows.data<T>(), batch, d.l, out_channels_, py);
    if (bias_.defined()) {
      const T* pb = bias_.data<T>();
      parallel_for(batch, 4, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
          for (std::int64_t c = 0; c < out_channels_; ++c)
            for (std::int64_t p = 0; p < d.l; ++p) py[(i * out_channels_ + c) * d.l + p] += pb[c];
      });
    }
  });

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  const Shape input_shape = x.shape();
  auto backward = [=, this, weight = weight_.detach(), has_bias = bias_.defined()](const Tensor& grad) {
    const Tensor g_nchw = grad.contiguous();
    Tensor g = Tensor::empty({batch, d.l, out_channels_}, g_nchw.dtype());
    std::vector<Tensor> grads(3);
    dispatch_floating(g.dtype(), "Conv2d backward", [&]<typename T>() {
      transpose_samples(g_nchw.data<T>(), batch, out_channels_, d.l, g.data<T>());
      const T* pg = g.data<T>();
      if (input_needs_grad) {
        const Tensor drows_tensor = Tensor::empty({batch * d.l, d.patch()}, g.dtype());
        T* drows = drows_tensor.data<T>();
        for (std::int64_t grp = 0; grp < d.groups; ++grp)
          cpu::gemm<T>(false, false, batch * d.l, d.k, d.out_per_group, T(1), pg + grp * d.out_per_group,
                       out_channels_, weight.data<T>() + grp * d.out_per_group * d.k, d.k, T(0), drows + grp * d.k,
                       d.patch());
        Tensor dx = Tensor::empty(input_shape, g.dtype());
        T* pdx = dx.data<T>();
        parallel_for(batch, 1, [&](std::int64_t i0, std::int64_t i1) {
          std::vector<T> padded(scratch);
          for (std::int64_t i = i0; i < i1; ++i)
            cpu::row2im_image(drows + i * d.l * d.patch(), in_channels_, height, width, geo, pdx + i * image,
                              padded.data());
        });
        grads[0] = dx;
      }
      if (config.enabled()) {
        // Per-sample recording replaces the summed parameter gradients.
        auto rec = std::make_shared<Record>();
        rec->rows = rows;
        const double scale = per_sample::reduction_scale(config.loss_reduction, batch);
        rec->g = scale == 1.0 ? g : mul_scalar(g, scale);
        rec->batch = batch;
        rec->groups = d.groups;
        rec->requested = config.mode;
        rec->route = choose_route(config.mode, d.l, d.k, d.out_per_group);
        keep_record(rec, describe());
        return;
      }
      Tensor dw = Tensor::zeros(weight.shape(), g.dtype());
      accumulate_weight_grad(rows.data<T>(), pg, batch * d.l, d, dw.data<T>());
      grads[1] = dw;
      if (has_bias) grads[2] = sum_to(g.reshape({batch * d.l, out_channels_}), {out_channels_});
    });
    return grads;
  };
  return autograd::record_op("Conv2d", y, {input, weight_, bias_}, backward);
}

// ---- per-sample rule -----------------------------------------------------------

std::vector<Tensor> Conv2d::per_sample_parameters() const {
  if (bias_.defined()) return {weight_, bias_};
  return {weight_};
}

namespace {

ConvDims record_dims(const Tensor& rows, const Tensor& g, std::int64_t groups) {
  return {groups, g.size(2) / groups, rows.size(2) / groups, rows.size(1)};
}

}  // namespace

std::vector<Tensor> Conv2d::grad_samples() {
  Record& r = record<Record>(describe());
  const ConvDims d = record_dims(r.rows, r.g, options_.groups);
  if (!r.weight_samples.defined()) {
    Shape shape{r.batch};
    shape.insert(shape.end(), weight_.shape().begin(), weight_.shape().end());
    r.weight_samples = Tensor::empty(shape, r.g.dtype());
    dispatch_floating(r.g.dtype(), "Conv2d grad_samples", [&]<typename T>() {
      const T* pr = r.rows.data<T>();
      const T* pg = r.g.data<T>();
      T* pw = r.weight_samples.data<T>();
      parallel_for(r.batch, 1, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
          for (std::int64_t grp = 0; grp < d.groups; ++grp)
            cpu::gemm<T>(true, false, d.out_per_group, d.k, d.l, T(1),
                         pg + i * d.l * d.out_channels() + grp * d.out_per_group, d.out_channels(),
                         pr + i * d.l * d.patch() + grp * d.k, d.patch(), T(0),
                         pw + (i * d.out_channels() + grp * d.out_per_group) * d.k, d.k);
      });
    });
  }
  if (bias_.defined()) return {r.weight_samples, sum_positions(r.g)};
  return {r.weight_samples};
}

std::vector<Tensor> Conv2d::per_sample_sq_norms() {
  Record& r = record<Record>(describe());
  std::vector<Tensor> norms;
  if (r.route == GradSampleMode::Materialize) return per_sample::materialized_sq_norms(grad_samples());
  const ConvDims d = record_dims(r.rows, r.g, options_.groups);
  Tensor weight_norms = Tensor::empty({r.batch}, DType::Float64);
  double* pn = weight_norms.data<double>();
  dispatch_floating(r.g.dtype(), "Conv2d ghost norms", [&]<typename T>() {
    const T* pr = r.rows.data<T>();
    const T* pg = r.g.data<T>();
    parallel_for(r.batch, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<T> gram_u(d.l * d.l), gram_g(d.l * d.l);
      for (std::int64_t i = i0; i < i1; ++i) {
        double acc = 0.0;
        for (std::int64_t grp = 0; grp < d.groups; ++grp) {
          // <U_i U_i^T, G_i G_i^T> over the sample's L rows.
          const T* u = pr + i * d.l * d.patch() + grp * d.k;
          const T* gi = pg + i * d.l * d.out_channels() + grp * d.out_per_group;
          cpu::gemm<T>(false, true, d.l, d.l, d.k, T(1), u, d.patch(), u, d.patch(), T(0), gram_u.data(), d.l);
          cpu::gemm<T>(false, true, d.l, d.l, d.out_per_group, T(1), gi, d.out_channels(), gi, d.out_channels(), T(0),
                       gram_g.data(), d.l);
          for (std::int64_t k = 0; k < d.l * d.l; ++k) acc += static_cast<double>(gram_u[k]) * gram_g[k];
        }
        pn[i] = acc;
      }
    });
  });
  norms.push_back(weight_norms);
  if (bias_.defined()) norms.push_back(per_sample::row_sq_norms(sum_positions(r.g)));
  return norms;
}

void Conv2d::accumulate_weighted_grads(const std::vector<Tensor>& coeffs) {
  Record& r = record<Record>(describe());
  per_sample::check_coefficients(describe(), coeffs, per_sample_parameters().size());
  if (r.route == GradSampleMode::Materialize) {
    per_sample::accumulate_materialized(per_sample_parameters(), grad_samples(), coeffs);
    return;
  }
  // Ghost: scale each example's output gradient by c_i, then the ordinary
  // weight-gradient GEMMs over all rows.
  const ConvDims d = record_dims(r.rows, r.g, options_.groups);
  if (coeffs[0].defined()) {
    const Tensor g_scaled = per_sample::scale_rows(r.g, coeffs[0]);
    const Tensor rows = per_sample::zero_dropped_rows(r.rows, coeffs[0]);
    Tensor dw = Tensor::zeros(weight_.shape(), r.g.dtype());
    dispatch_floating(r.g.dtype(), "Conv2d weighted grads", [&]<typename T>() {
      accumulate_weight_grad(rows.data<T>(), g_scaled.data<T>(), r.batch * d.l, d, dw.data<T>());
    });
    per_sample::add_into_grad(weight_, dw);
  }
  if (bias_.defined() && coeffs[1].defined())
    per_sample::add_into_grad(bias_, sum(sum_positions(per_sample::scale_rows(r.g, coeffs[1])), {0}));
}

// ---- Conv1d ---------------------------------------------------------------------

Conv1d::Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, std::uint64_t seed,
               std::int64_t stride, std::int64_t padding, std::int64_t dilation, std::int64_t groups, bool bias)
    : Conv2d("Conv1d", in_channels, out_channels, {1, kernel, 1, stride, 0, padding, 1, dilation, groups, bias}, seed,
             {out_channels, groups > 0 ? in_channels / groups : 0, kernel}) {}

Tensor Conv1d::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 3) << describe() << " expects input [B, C, T], got " << input.shape();
  const Tensor y = Conv2d::forward(input.reshape({input.size(0), input.size(1), 1, input.size(2)}));
  return y.reshape({y.size(0), y.size(1), y.size(3)});
}

}  // namespace veil
