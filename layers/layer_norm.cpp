#include "veil/layers/layer_norm.h"

#include <algorithm>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/layers/normalization.h"

namespace veil {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : Module("LayerNorm"), normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  VEIL_CHECK(!normalized_shape_.empty() &&
             std::all_of(normalized_shape_.begin(), normalized_shape_.end(), [](std::int64_t d) { return d > 0; }))
      << "LayerNorm: normalized_shape " << normalized_shape_ << " must be non-empty with positive sizes";
  VEIL_CHECK(eps > 0) << "LayerNorm: eps " << eps << " must be positive";
  if (elementwise_affine) {
    weight_ = register_parameter("weight", Tensor::ones(normalized_shape_));
    bias_ = register_parameter("bias", Tensor::zeros(normalized_shape_));
  }
}

std::string LayerNorm::describe() const {
  std::ostringstream os;
  os << "LayerNorm(normalized_shape=" << normalized_shape_ << ", eps=" << eps_
     << ", elementwise_affine=" << (weight_.defined() ? "true" : "false") << ")";
  return os.str();
}

std::vector<Tensor> LayerNorm::per_sample_parameters() const {
  if (weight_.defined()) return {weight_, bias_};
  return {};
}

Tensor LayerNorm::forward(const Tensor& input) {
  const int k = static_cast<int>(normalized_shape_.size());
  VEIL_CHECK(input.dim() > k && std::equal(normalized_shape_.begin(), normalized_shape_.end(), input.shape().end() - k))
      << describe() << " expects input [B, ..., " << normalized_shape_ << "], got " << input.shape();
  VEIL_CHECK(!weight_.defined() || input.dtype() == weight_.dtype())
      << describe() << ": input dtype " << input.dtype() << " does not match the weight's " << weight_.dtype();
  const std::int64_t batch = input.size(0);
  const std::int64_t features = shape_numel(normalized_shape_);
  const std::int64_t rows = input.numel() / features;
  const normalization::AffineLayout layout{batch, batch == 0 ? 0 : rows / batch, features, 1};

  const Tensor x = input.detach().contiguous();
  normalization::RowStats stats;
  const Tensor y = normalization::normalize_affine(x, rows, eps_, weight_, bias_, layout, &stats);

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  Shape sample_param_shape = normalized_shape_;
  sample_param_shape.insert(sample_param_shape.begin(), batch);
  auto backward = [=, this, weight = weight_.defined() ? weight_.detach() : Tensor()](const Tensor& grad) {
    auto grads = normalization::normalize_affine_backward(grad, stats, rows, weight, layout, input_needs_grad);
    std::vector<Tensor> samples;
    if (weight.defined())
      samples = {grads.affine.gamma.reshape(sample_param_shape), grads.affine.beta.reshape(sample_param_shape)};
    std::vector<Tensor> out{grads.dx, Tensor(), Tensor()};
    const auto param_grads = finish_parameter_grads(std::move(samples), config, batch);
    for (std::size_t p = 0; p < param_grads.size(); ++p) out[p + 1] = param_grads[p];
    return out;
  };
  return autograd::record_op("LayerNorm", y, {input, weight_, bias_}, backward);
}

}  // namespace veil
