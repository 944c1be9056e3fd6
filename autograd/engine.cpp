// The backward engine: Kahn's algorithm over the graph reachable from the
// root, so each node runs once, after all gradients flowing into it have
// been summed.
#include <unordered_map>
#include <vector>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/node.h"
#include "veil/core/error.h"
#include "veil/autograd/ops.h"

namespace veil::autograd {

namespace {

std::unordered_map<Node*, int> count_dependencies(Node* root) {
  std::unordered_map<Node*, int> dependencies;
  std::vector<Node*> stack{root};
  dependencies[root] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const auto& next : node->next_nodes()) {
      if (!next) continue;
      auto [it, inserted] = dependencies.try_emplace(next.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(next.get());
    }
  }
  return dependencies;
}

// True when nothing but this handle can see t's elements, so that adding
// into it in place is safe. A gradient a backward function returned may be
// shared: add() hands the same tensor to both inputs, sum_to() and the
// identity backwards return their argument, and the seed may be the caller's
// tensor. Accumulating into such a tensor would change the gradient another
// node is still to receive (or the caller's seed), so the impl, not only the
// storage, must be unshared.
bool exclusively_owned(const Tensor& t) {
  return t.is_contiguous() && t.impl_ptr().use_count() == 1 && t.storage().use_count() == 1;
}

}  // namespace

namespace {
thread_local std::uint64_t backward_passes = 0;
thread_local std::uint64_t pass_in_progress = 0;

// Sets the pass id for the scope of one run_backward.
class BackwardPassScope {
 public:
  BackwardPassScope() : previous_(pass_in_progress) { pass_in_progress = ++backward_passes; }
  ~BackwardPassScope() { pass_in_progress = previous_; }
  BackwardPassScope(const BackwardPassScope&) = delete;
  BackwardPassScope& operator=(const BackwardPassScope&) = delete;

 private:
  std::uint64_t previous_;
};
}  // namespace

std::uint64_t current_backward_pass() { return pass_in_progress; }

void run_backward(const Tensor& root, const Tensor& grad_output) {
  VEIL_CHECK(root.defined()) << "backward() on an undefined tensor";
  std::shared_ptr<Node> root_node = gradient_edge(root);
  VEIL_CHECK(root_node) << "backward() on a tensor that does not require grad and has no grad_fn";
  Tensor seed = grad_output;
  if (!seed.defined()) {
    VEIL_CHECK(root.numel() == 1) << "backward() without a gradient needs a one-element tensor, got shape "
                                  << root.shape();
    seed = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  VEIL_CHECK(seed.shape() == root.shape())
      << "backward(): gradient shape " << seed.shape() << " does not match tensor shape " << root.shape();
  VEIL_CHECK(seed.dtype() == root.dtype() && seed.device() == root.device())
      << "backward(): gradient of dtype " << seed.dtype() << " on " << seed.device() << " for a tensor of dtype "
      << root.dtype() << " on " << root.device();

  NoGradGuard no_grad;  // backward formulas are not differentiated again
  const BackwardPassScope pass;
  auto dependencies = count_dependencies(root_node.get());
  std::unordered_map<Node*, Tensor> pending;
  // Keeps every node alive until it has run, even when the tensors that
  // owned it are gone.
  std::unordered_map<Node*, std::shared_ptr<Node>> owners;
  owners[root_node.get()] = root_node;
  pending[root_node.get()] = seed;
  std::vector<Node*> ready{root_node.get()};

  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    Tensor grad;
    if (auto it = pending.find(node); it != pending.end()) {
      grad = std::move(it->second);
      pending.erase(it);
    }
    // A node that received no gradient still runs through the loop, so the
    // dependency counts of the nodes after it reach zero.
    std::vector<Tensor> input_grads;
    if (grad.defined()) input_grads = node->apply(grad);
    auto& next = node->next_nodes();
    VEIL_ASSERT(input_grads.empty() || input_grads.size() == next.size())
        << node->name() << " returned " << input_grads.size() << " gradients for " << next.size() << " inputs";
    for (std::size_t i = 0; i < next.size(); ++i) {
      Node* target = next[i].get();
      if (!target) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        auto it = pending.find(target);
        if (it == pending.end() || !it->second.defined()) {
          pending[target] = std::move(input_grads[i]);
        } else {
          VEIL_ASSERT(it->second.shape() == input_grads[i].shape())
              << node->name() << " sent a gradient of shape " << input_grads[i].shape() << " where "
              << it->second.shape() << " was accumulated";
          if (exclusively_owned(it->second)) it->second.add_(input_grads[i]);
          else it->second = add(it->second, input_grads[i]);
        }
      }
      owners.try_emplace(target, next[i]);
      if (--dependencies[target] == 0) ready.push_back(target);
    }
    node->release();
    node->next_nodes().clear();
    owners.erase(node);
  }
}

}  // namespace veil::autograd
