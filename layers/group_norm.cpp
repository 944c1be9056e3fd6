#include "veil/layers/group_norm.h"

#include <sstream>

#include "veil/autograd/node.h"
#include "veil/autograd/ops.h"
#include "veil/layers/normalization.h"

namespace veil {

GroupNorm::GroupNorm(std::int64_t num_groups, std::int64_t num_channels, double eps, bool affine)
    : Module("GroupNorm"), num_groups_(num_groups), num_channels_(num_channels), eps_(eps) {
  VEIL_CHECK(num_groups > 0 && num_channels > 0 && num_channels % num_groups == 0)
      << "GroupNorm(" << num_groups << ", " << num_channels
      << "): the channel count must be a positive multiple of the group count";
  VEIL_CHECK(eps > 0) << "GroupNorm: eps " << eps << " must be positive";
  if (affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_channels}));
    bias_ = register_parameter("bias", Tensor::zeros({num_channels}));
  }
}

std::string GroupNorm::describe() const {
  std::ostringstream os;
  os << "GroupNorm(num_groups=" << num_groups_ << ", num_channels=" << num_channels_ << ", eps=" << eps_
     << ", affine=" << (weight_.defined() ? "true" : "false") << ")";
  return os.str();
}

std::vector<Tensor> GroupNorm::per_sample_parameters() const {
  if (weight_.defined()) return {weight_, bias_};
  return {};
}

Tensor GroupNorm::forward(const Tensor& input) {
  VEIL_CHECK(input.dim() >= 2 && input.size(1) == num_channels_)
      << describe() << " expects input [B, " << num_channels_ << ", *], got " << input.shape();
  VEIL_CHECK(!weight_.defined() || input.dtype() == weight_.dtype())
      << describe() << ": input dtype " << input.dtype() << " does not match the weight's " << weight_.dtype();
  const std::int64_t batch = input.size(0);
  std::int64_t spatial = 1;
  for (int d = 2; d < input.dim(); ++d) spatial *= input.size(d);
  const std::int64_t rows = batch * num_groups_;
  const normalization::AffineLayout layout{batch, 1, num_channels_, spatial};

  // Contiguous [B, C, S]: each group's (C/G)*S values are one row.
  const Tensor x = input.detach().contiguous();
  normalization::RowStats stats;
  const Tensor y = normalization::normalize_affine(x, rows, eps_, weight_, bias_, layout, &stats);

  const bool input_needs_grad = autograd::needs_grad({&input});
  const PerSampleConfig config = per_sample_config();
  auto backward = [=, this, weight = weight_.defined() ? weight_.detach() : Tensor()](const Tensor& grad) {
    auto grads = normalization::normalize_affine_backward(grad, stats, rows, weight, layout, input_needs_grad);
    std::vector<Tensor> samples;
    if (weight.defined()) samples = {grads.affine.gamma, grads.affine.beta};
    std::vector<Tensor> out{grads.dx, Tensor(), Tensor()};
    const auto param_grads = finish_parameter_grads(std::move(samples), config, batch);
    for (std::size_t p = 0; p < param_grads.size(); ++p) out[p + 1] = param_grads[p];
    return out;
  };
  return autograd::record_op("GroupNorm", y, {input, weight_, bias_}, backward);
}

}  // namespace veil
