#include "veil/layers/conv2d.h"

#include <cmath>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/conv_kernels.h"
#include "veil/core/elementwise.h"
#include "veil/core/gemm.h"
#include "veil/core/im2row.h"

namespace veil {

// Note [Conv2d row layout]
// Conv2d works in the row layout: rows [B*L, C_in*kh*kw] (one patch per
// output position, see im2row in core/im2row.h) and output gradients
// transposed to [B*L, C_out]. The whole batch's forward, input gradient and
// weight gradient are then each one GEMM per group, instead of B small ones
// that repack the weight every time. The per-sample rule takes sample i's
// block of L rows (Note [Rows times output gradients]).

Conv2dOptions Conv2dOptions::square(std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                                    std::int64_t dilation, std::int64_t groups, bool bias) {
  return {kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups, bias};
}

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
  VEIL_CHECK(input.dim() == 4 && input.size(1) == in_channels_)
      << describe() << " expects input [B, " << in_channels_ << ", H, W], got " << input.shape();
  VEIL_CHECK(input.dtype() == weight_.dtype())
      << describe() << ": input dtype " << input.dtype() << " does not match the weight's " << weight_.dtype();
  const Conv2dGeometry geo = geometry();
  const Tensor x = input.detach();
  const std::int64_t batch = x.size(0), out_h = geo.out_h(x.size(2)), out_w = geo.out_w(x.size(3));
  const std::int64_t groups = options_.groups;
  const Tensor rows = im2row_kernel(x, geo);  // [B, L, C_in*kh*kw], Note [Conv2d row layout]
  const std::int64_t l = rows.size(1), patch = rows.size(2);
  const Tensor flat_rows = rows.reshape({batch * l, patch});
  // [C_out, C_in/G, kh, kw] also for Conv1d, whose weight is stored without kh.
  const Tensor w = weight_.detach().reshape({out_channels_, in_channels_ / groups, options_.kernel_h, options_.kernel_w});
  // The rows serve the weight gradient; the forward takes the device's route (core/conv_kernels.h).
  Tensor y = conv2d_forward_kernel(x, rows, w, geo, groups).reshape({batch, out_channels_, l});
  // The bias added over rows of all L positions, not of one image row each.
  if (bias_.defined()) binary_kernel_(BinaryKind::Add, y, bias_.detach().reshape({out_channels_, 1}));
  y = y.reshape({batch, out_channels_, out_h, out_w});

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  const Shape input_shape = x.shape(), w_shape = weight_.shape();
  auto backward = [=, this, has_bias = bias_.defined()](const Tensor& grad) {
    // [B, C_out, L] -> the row layout's [B, L, C_out].
    const Tensor g = transpose_samples_kernel(grad.reshape({batch, out_channels_, l}));
    const Tensor flat_g = g.reshape({batch * l, out_channels_});
    std::vector<Tensor> grads(3);
    if (input_needs_grad) grads[0] = conv2d_backward_data_kernel(grad, g, w, geo, groups, input_shape);
    if (config.enabled()) {
      // Per-sample recording replaces the summed parameter gradients.
      record_rows_times_grads(rows, g, groups, config);
      return grads;
    }
    grads[1] = summed_weight_grad(flat_g, flat_rows).reshape(w_shape);
    if (has_bias) grads[2] = sum_to(flat_g, {out_channels_});
    return grads;
  };
  return autograd::record_op("Conv2d", y, {input, weight_, bias_}, backward);
}

Tensor Conv2d::summed_weight_grad(const Tensor& grads, const Tensor& rows) const {
  Tensor dw = Tensor::zeros({out_channels_, rows.size(1) / options_.groups}, grads.dtype(), grads.device());
  grouped_gemm_tn_rows(options_.groups, grads, rows, dw);
  return dw;
}

}  // namespace veil
