#include "veil/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"
#include "veil/autograd/ops.h"

namespace veil::autograd {

namespace {

double weighted_sum(const Tensor& out, const Tensor& weights) {
  const auto vo = out.to_vector<double>();
  const auto vw = weights.to_vector<double>();
  double total = 0.0;
  for (std::size_t i = 0; i < vo.size(); ++i) total += vo[i] * vw[i];
  return total;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  for (const Tensor& input : inputs)
    VEIL_CHECK(input.dtype() == DType::Float64 && input.device().is_cpu())
        << "gradcheck needs float64 CPU inputs, got " << input.dtype() << " on " << input.device();

  // Analytic gradients of L = sum(fn(x) * W).
  std::vector<Tensor> leaves;
  for (const Tensor& input : inputs) {
    Tensor leaf = input.detach().clone();
    leaf.set_requires_grad(input.requires_grad());
    leaves.push_back(leaf);
  }
  Tensor out = fn(leaves);
  const Tensor weights = Tensor::uniform(out.shape(), -1.0, 1.0, options.seed, 0, DType::Float64);
  sum(mul(out, weights)).backward();

  GradcheckResult result;
  NoGradGuard no_grad;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    const Tensor analytic_grad = leaves[k].grad();
    std::vector<double> analytic = analytic_grad.defined() ? analytic_grad.to_vector<double>()
                                                           : std::vector<double>(inputs[k].numel(), 0.0);
    std::vector<Tensor> probe;
    for (const Tensor& input : inputs) probe.push_back(input.detach().clone());
    double* x = probe[k].data<double>();
    for (std::int64_t i = 0; i < probe[k].numel(); ++i) {
      const double saved = x[i];
      x[i] = saved + options.eps;
      const double plus = weighted_sum(fn(probe), weights);
      x[i] = saved - options.eps;
      const double minus = weighted_sum(fn(probe), weights);
      x[i] = saved;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double error = std::fabs(numeric - analytic[i]);
      result.max_abs_error = std::max(result.max_abs_error, error);
      if (result.ok && !(error <= options.atol + options.rtol * std::fabs(numeric))) {
        result.ok = false;
        std::ostringstream os;
        os << "input " << k << " (shape " << inputs[k].shape() << ") element " << i << ": analytic " << analytic[i]
           << " vs numeric " << numeric;
        result.report = os.str();
      }
    }
  }
  return result;
}

}  // namespace veil::autograd
