#include "support/module_gradcheck.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/ops.h"

namespace veil::testing {

namespace {

double loss_value(Module& model, const Tensor& input, const PerExampleLoss& loss) {
  NoGradGuard no_grad;
  return sum(loss(model(input), 0)).item();
}

// Compares analytic against numeric for every element of `target`, which
// the forward pass reads in place.
void compare(const std::string& what, Tensor target, const Tensor& analytic, const std::function<double()>& eval,
             const ModuleGradcheck& options) {
  REQUIRE(target.is_contiguous());
  double* x = target.data<double>();
  const auto grad = analytic.defined() ? analytic.to_vector<double>() : std::vector<double>(target.numel(), 0.0);
  for (std::int64_t i = 0; i < target.numel(); ++i) {
    const double saved = x[i];
    x[i] = saved + options.eps;
    const double plus = eval();
    x[i] = saved - options.eps;
    const double minus = eval();
    x[i] = saved;
    const double numeric = (plus - minus) / (2 * options.eps);
    INFO(what << " element " << i << ": analytic " << grad[i] << " numeric " << numeric);
    REQUIRE(std::fabs(numeric - grad[i]) <= options.atol + options.rtol * std::fabs(numeric));
  }
}

}  // namespace

void check_module_gradients(Module& model, const Tensor& input, const PerExampleLoss& loss,
                            const ModuleGradcheck& options) {
  REQUIRE(input.dtype() == DType::Float64);
  model.set_per_sample({GradSampleMode::Off, LossReduction::Sum});
  model.zero_grad();
  Tensor x = input.detach().clone();
  if (options.check_input) x.set_requires_grad(true);
  sum(loss(model(x), 0)).backward();
  const Tensor input_grad = x.grad();
  std::vector<std::pair<std::string, Tensor>> grads;
  for (auto& [name, p] : model.named_parameters()) grads.emplace_back(name, p.grad());

  Tensor probe = input.detach().clone();
  auto eval = [&] { return loss_value(model, probe, loss); };
  if (options.check_input) compare("input", probe, input_grad, eval, options);
  std::size_t k = 0;
  for (auto& [name, p] : model.named_parameters()) compare(name, p, grads[k++].second, eval, options);
  model.zero_grad();
}

}  // namespace veil::testing
