#include "veil/optim/optimizer.h"

#include <cmath>
#include <sstream>

#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"
#include "veil/core/optimizer_kernels.h"

namespace veil {

Optimizer::Optimizer(std::vector<Tensor> parameters) : parameters_(std::move(parameters)) {
  for (const Tensor& p : parameters_)
    VEIL_CHECK(p.defined() && is_floating(p.dtype()))
        << "optimizers take floating-point parameters";
}

void Optimizer::zero_grad() {
  for (const Tensor& p : parameters_) p.set_grad(Tensor());
}

namespace {

// Runs fn(k, param, grad) for each parameter with a grad.
template <typename Fn>
void for_each_with_grad(const std::vector<Tensor>& params, const Fn& fn) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor& p = params[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    fn(k, p, g);
  }
}

void check_state_size(const OptimizerState& state, std::size_t expected, const char* who) {
  VEIL_CHECK(state.size() == expected) << who << ": checkpoint has " << state.size() << " state tensors, expected "
                                       << expected;
}

// A buffer from saved state: absent, or exactly the parameter's shape and
// dtype, since step() walks both with one index.
Tensor checked_buffer(const std::pair<std::string, Tensor>& entry, const Tensor& parameter, const char* who) {
  const Tensor& t = entry.second;
  if (!t.defined()) return Tensor();
  VEIL_CHECK(t.shape() == parameter.shape() && t.dtype() == parameter.dtype())
      << who << ": state '" << entry.first << "' has shape " << t.shape() << " " << t.dtype()
      << ", its parameter has " << parameter.shape() << " " << parameter.dtype();
  return t.to(parameter.device()).contiguous().clone();
}

}  // namespace

// ---- SGD ------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> parameters, const SGDOptions& options)
    : Optimizer(std::move(parameters)), options_(options), momentum_(parameters_.size()) {
  VEIL_CHECK(options.lr >= 0) << "SGD: learning rate " << options.lr << " is negative";
  VEIL_CHECK(options.momentum >= 0) << "SGD: momentum " << options.momentum << " is negative";
  VEIL_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0))
      << "SGD: Nesterov needs momentum > 0 and no dampening";
  lr_ = options.lr;
}

std::string SGD::describe() const {
  std::ostringstream os;
  os << "SGD(lr=" << lr_ << ", momentum=" << options_.momentum << ", weight_decay=" << options_.weight_decay
     << (options_.nesterov ? ", nesterov" : "") << ")";
  return os.str();
}

void SGD::step() {
  NoGradGuard no_grad;
  for_each_with_grad(parameters_, [&](std::size_t k, const Tensor& p, const Tensor& grad) {
    const bool first = options_.momentum != 0 && !momentum_[k].defined();
    if (first) momentum_[k] = Tensor::zeros(p.shape(), p.dtype(), p.device());
    sgd_step_(p, grad, momentum_[k],
              SgdStep{lr_, options_.weight_decay, options_.momentum, options_.dampening, options_.nesterov, first});
  });
}

std::string SGD::kind() const { return "sgd"; }

OptimizerState SGD::state() const {
  OptimizerState state;
  for (std::size_t k = 0; k < momentum_.size(); ++k)
    state.emplace_back("momentum." + std::to_string(k), momentum_[k].defined() ? momentum_[k].clone() : Tensor());
  return state;
}

void SGD::load_state(const OptimizerState& state) {
  check_state_size(state, momentum_.size(), "SGD");
  std::vector<Tensor> momentum(momentum_.size());
  for (std::size_t k = 0; k < momentum.size(); ++k) momentum[k] = checked_buffer(state[k], parameters_[k], "SGD");
  momentum_ = std::move(momentum);
}

// ---- Adam / AdamW -------------------------------------------------------------

Adam::Adam(std::vector<Tensor> parameters, const AdamOptions& options)
    : Optimizer(std::move(parameters)), options_(options), m_(parameters_.size()), v_(parameters_.size()) {
  VEIL_CHECK(options.lr >= 0 && options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1 &&
             options.eps > 0)
      << "Adam: need lr >= 0, betas in [0, 1) and eps > 0";
  lr_ = options.lr;
}

std::unique_ptr<Adam> make_adamw(std::vector<Tensor> parameters, AdamOptions options) {
  options.decoupled_weight_decay = true;
  return std::make_unique<Adam>(std::move(parameters), options);
}

std::string Adam::describe() const {
  std::ostringstream os;
  os << (options_.decoupled_weight_decay ? "AdamW" : "Adam") << "(lr=" << lr_ << ", betas=(" << options_.beta1 << ", "
     << options_.beta2 << "), eps=" << options_.eps << ", weight_decay=" << options_.weight_decay << ")";
  return os.str();
}

void Adam::step() {
  NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1 - std::pow(options_.beta2, static_cast<double>(steps_));
  for_each_with_grad(parameters_, [&](std::size_t k, const Tensor& p, const Tensor& grad) {
    if (!m_[k].defined()) {
      m_[k] = Tensor::zeros(p.shape(), p.dtype(), p.device());
      v_[k] = Tensor::zeros(p.shape(), p.dtype(), p.device());
    }
    adam_step_(p, grad, m_[k], v_[k],
               AdamStep{lr_, options_.beta1, options_.beta2, options_.eps, options_.weight_decay,
                        options_.decoupled_weight_decay, bias1, bias2});
  });
}

std::string Adam::kind() const { return options_.decoupled_weight_decay ? "adamw" : "adam"; }

OptimizerState Adam::state() const {
  OptimizerState state{{"step", Tensor::scalar(static_cast<double>(steps_), DType::Float64)}};
  for (std::size_t k = 0; k < m_.size(); ++k) {
    state.emplace_back("m." + std::to_string(k), m_[k].defined() ? m_[k].clone() : Tensor());
    state.emplace_back("v." + std::to_string(k), v_[k].defined() ? v_[k].clone() : Tensor());
  }
  return state;
}

void Adam::load_state(const OptimizerState& state) {
  check_state_size(state, 1 + 2 * m_.size(), "Adam");
  // The bias corrections divide by 1 - beta^step: a missing, fractional or
  // negative step count would corrupt every update after it.
  const Tensor& step = state[0].second;
  VEIL_CHECK(step.defined() && step.numel() == 1) << "Adam: the state lacks its step count";
  const double steps = step.item();
  VEIL_CHECK(steps >= 0 && steps <= 9.0e15 && steps == std::floor(steps))
      << "Adam: step count " << steps << " is not a whole number of steps";
  std::vector<Tensor> m(m_.size()), v(v_.size());
  for (std::size_t k = 0; k < m.size(); ++k) {
    m[k] = checked_buffer(state[1 + 2 * k], parameters_[k], "Adam");
    v[k] = checked_buffer(state[2 + 2 * k], parameters_[k], "Adam");
    VEIL_CHECK(m[k].defined() == v[k].defined()) << "Adam: state '" << state[1 + 2 * k].first << "' and '"
                                                 << state[2 + 2 * k].first << "' must both be present or both absent";
  }
  steps_ = static_cast<std::int64_t>(steps);
  m_ = std::move(m);
  v_ = std::move(v);
}

}  // namespace veil
