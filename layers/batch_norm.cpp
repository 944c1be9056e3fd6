#include "veil/layers/batch_norm.h"

#include <functional>
#include <sstream>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/layers/normalization.h"

namespace veil {

BatchNorm2d::BatchNorm2d(std::int64_t num_features, double eps, double momentum, bool affine)
    : Module("BatchNorm2d"), num_features_(num_features), eps_(eps), momentum_(momentum) {
  VEIL_CHECK(num_features > 0) << "BatchNorm2d(" << num_features << "): the channel count must be positive";
  VEIL_CHECK(eps > 0 && momentum >= 0 && momentum <= 1)
      << "BatchNorm2d: eps " << eps << " must be positive and momentum " << momentum << " in [0, 1]";
  if (affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({num_features}));
  }
  running_mean_ = register_buffer("running_mean", Tensor::zeros({num_features}));
  running_var_ = register_buffer("running_var", Tensor::ones({num_features}));
}

std::string BatchNorm2d::describe() const {
  std::ostringstream os;
  os << "BatchNorm2d(num_features=" << num_features_ << ", eps=" << eps_ << ", momentum=" << momentum_
     << ", affine=" << (weight_.defined() ? "true" : "false") << ")";
  return os.str();
}

Tensor BatchNorm2d::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() == 4 && input.size(1) == num_features_)
      << describe() << " expects input [B, " << num_features_ << ", H, W], got " << input.shape();
  VEIL_CHECK(input.dtype() == running_mean_.dtype())
      << describe() << ": input dtype " << input.dtype() << " does not match the module's " << running_mean_.dtype();
  const std::int64_t batch = input.size(0), channels = num_features_;
  const std::int64_t spatial = input.size(2) * input.size(3), count = batch * spatial;
  const normalization::AffineLayout layout{batch, 1, channels, spatial};

  // x_hat, and the map from dL/dx_hat to dL/dx.
  Tensor x_hat;
  std::function<Tensor(const Tensor&)> input_grad;
  if (is_training()) {
    VEIL_CHECK(count > 1) << describe() << " in training needs more than one value per channel, got input "
                          << input.shape();
    // Channel-major copy [C, B*H*W]: each channel's values are one row.
    const Tensor x_rows = input.detach().transpose(0, 1).contiguous();
    const normalization::RowStats stats = normalization::normalize_rows(x_rows, channels, eps_);
    x_hat = stats.x_hat.transpose(0, 1).contiguous();
    input_grad = [stats, channels](const Tensor& gx_hat) {
      const Tensor g_rows = gx_hat.transpose(0, 1).contiguous();
      return normalization::normalize_rows_backward(g_rows, stats, channels).transpose(0, 1).contiguous();
    };
    normalization::update_running_stats(stats, count, momentum_, running_mean_, running_var_);
  } else {
    // Fixed statistics make normalisation a per-channel affine map:
    // x_hat = x * rstd_c - mean_c * rstd_c, and dx = gx_hat * rstd_c.
    const normalization::ChannelAffine fixed = normalization::running_stats_affine(running_mean_, running_var_, eps_);
    x_hat = normalization::apply_affine(input.detach(), fixed.scale, fixed.shift, layout);
    input_grad = [scale = fixed.scale, layout](const Tensor& gx_hat) {
      return normalization::apply_affine(gx_hat, scale, Tensor(), layout);
    };
  }
  // A copy without affine, so that the output never aliases what backward keeps.
  const Tensor y = weight_.defined() ? normalization::apply_affine(x_hat, weight_, bias_, layout) : x_hat.clone();

  const bool input_needs_grad = autograd::needs_grad({&input});
  auto backward = [=, weight = weight_.defined() ? weight_.detach() : Tensor()](const Tensor& grad) {
    const Tensor g = grad.contiguous();
    std::vector<Tensor> grads(3);
    if (input_needs_grad)
      grads[0] = input_grad(weight.defined() ? normalization::apply_affine(g, weight, Tensor(), layout) : g);
    if (weight.defined()) {
      const auto affine = normalization::affine_grad_samples(g, x_hat, layout);
      grads[1] = sum(affine.gamma, {0});
      grads[2] = sum(affine.beta, {0});
    }
    return grads;
  };
  return autograd::record_op("BatchNorm2d", y, {input, weight_, bias_}, backward);
}

}  // namespace veil
