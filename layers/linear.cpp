#include "veil/layers/linear.h"

#include <cmath>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/core/elementwise.h"
#include "veil/core/gemm.h"

namespace veil {

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

Tensor Linear::forward(const Tensor& input) {
  VEIL_CHECK((input.dim() == 2 || input.dim() == 3) && input.size(-1) == in_features_)
      << describe() << " expects input [B, " << in_features_ << "] or [B, T, " << in_features_ << "], got "
      << input.shape();
  VEIL_CHECK(input.dtype() == weight_.dtype()) << describe() << ": input dtype " << input.dtype()
                                               << " does not match the weight's " << weight_.dtype();
  const std::int64_t batch = input.size(0);
  const std::int64_t positions = input.dim() == 3 ? input.size(1) : 1;
  const std::int64_t rows = batch * positions;
  const Tensor x = input.detach().contiguous().reshape({rows, in_features_});
  Shape out_shape = input.shape();
  out_shape.back() = out_features_;
  Tensor y = Tensor::empty(out_shape, input.dtype(), input.device());
  gemm(false, true, 1.0, x, weight_.detach(), 0.0, y.reshape({rows, out_features_}));
  if (bias_.defined()) binary_kernel_(BinaryKind::Add, y, bias_.detach());

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  const Shape input_shape = input.shape();
  auto backward = [=, this, weight = weight_.detach(), has_bias = bias_.defined()](const Tensor& grad) {
    const Tensor g = grad.contiguous().reshape({rows, out_features_});
    std::vector<Tensor> grads(3);
    if (input_needs_grad) {
      Tensor dx = Tensor::empty({rows, in_features_}, x.dtype(), x.device());
      gemm(false, false, 1.0, g, weight, 0.0, dx);
      grads[0] = dx.reshape(input_shape);
    }
    if (config.enabled()) {
      // Per-sample recording replaces the summed parameter gradients.
      record_rows_times_grads(x.reshape({batch, positions, in_features_}), g.reshape({batch, positions, out_features_}),
                              1, config);
      return grads;
    }
    grads[1] = summed_weight_grad(g, x);
    if (has_bias) grads[2] = sum_to(g, {out_features_});
    return grads;
  };
  return autograd::record_op("Linear", y, {input, weight_, bias_}, backward);
}

Tensor Linear::summed_weight_grad(const Tensor& grads, const Tensor& rows) const {
  Tensor dw = Tensor::empty({out_features_, in_features_}, grads.dtype(), grads.device());
  gemm(true, false, 1.0, grads, rows, 0.0, dw);
  return dw;
}

Tensor Linear::per_sample_bias_grads(const Tensor& grads) const { return sum(grads, {1}); }

Tensor Linear::summed_bias_grad(const Tensor& grads) const { return sum(grads, {0, 1}); }

}  // namespace veil
