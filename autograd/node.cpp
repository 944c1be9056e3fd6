#include "veil/autograd/node.h"

#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"

namespace veil::autograd {

std::vector<Tensor> AccumulateGrad::apply(const Tensor& grad_output) {
  auto leaf = leaf_.lock();
  if (!leaf) return {};
  Tensor leaf_tensor(leaf);
  VEIL_ASSERT(grad_output.shape() == leaf->shape)
      << "gradient " << grad_output.shape() << " for leaf " << leaf->shape;
  if (!leaf->grad) {
    // The engine hands over a gradient no one else holds only when it made
    // it; copy so that .grad never aliases another tensor.
    leaf->grad = grad_output.clone().impl_ptr();
  } else {
    Tensor(leaf->grad).add_(grad_output);
  }
  return {};
}

std::vector<Tensor> LambdaNode::apply(const Tensor& grad_output) {
  // A usage error, not a veil bug: the engine frees each node's saved
  // tensors after running it (see Node::release).
  VEIL_CHECK(backward_) << "backward() called twice through the same graph: node " << name()
                        << " was already run and its saved tensors freed; recompute the forward pass";
  return backward_(grad_output);
}

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && (t->requires_grad() || t->grad_fn())) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && (t.requires_grad() || t.grad_fn())) return true;
  return false;
}

std::shared_ptr<Node> gradient_edge(const Tensor& input) {
  if (!input.defined()) return nullptr;
  TensorImpl* impl = input.impl();
  if (impl->grad_fn) return impl->grad_fn;
  if (!impl->requires_grad) return nullptr;
  if (!impl->grad_accumulator) impl->grad_accumulator = std::make_shared<AccumulateGrad>(input.impl_ptr());
  return impl->grad_accumulator;
}

Tensor attach(Tensor output, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs) {
  auto& next = node->next_nodes();
  next.clear();
  for (const Tensor& input : inputs) next.push_back(gradient_edge(input));
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
  return output;
}

Tensor record_op(const char* name, Tensor output, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!needs_grad(inputs)) return output;
  return attach(std::move(output), std::make_shared<LambdaNode>(name, std::move(backward)), inputs);
}

}  // namespace veil::autograd
