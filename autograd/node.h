#pragma once
// Graph nodes of the reverse-mode engine.
//
// Every differentiable op that sees an input requiring grad (with GradMode
// on) gives its output a Node. A Node maps the gradient of its single output
// to one gradient per input (an undefined Tensor where an input needs none),
// and points at the nodes of those inputs. Leaves that require grad get an
// AccumulateGrad node that adds into their .grad.
//
// Ops write forward and backward side by side (see record_op below): the
// forward computes the result with recording off; the backward is a lambda
// that captures exactly what it needs. After the engine has run a node it
// calls release(), so saved activations are freed with the graph.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "veil/core/tensor.h"

namespace veil::autograd {

class Node {
 public:
  explicit Node(std::string name) : name_(std::move(name)) {}
  virtual ~Node() = default;

  // Gradients for the inputs, in the order of next_nodes().
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  // Frees what the backward captured; the node is not applied again.
  virtual void release() {}

  const std::string& name() const { return name_; }
  // One entry per input; null where that input needs no gradient.
  std::vector<std::shared_ptr<Node>>& next_nodes() { return next_nodes_; }

 private:
  std::string name_;
  std::vector<std::shared_ptr<Node>> next_nodes_;
};

// Adds the incoming gradient into a leaf's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::weak_ptr<TensorImpl> leaf)
      : Node("AccumulateGrad"), leaf_(std::move(leaf)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override;

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// A node whose backward is a lambda.
class LambdaNode final : public Node {
 public:
  LambdaNode(std::string name, BackwardFn backward)
      : Node(std::move(name)), backward_(std::move(backward)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override;
  void release() override { backward_ = nullptr; }

 private:
  BackwardFn backward_;
};

// True when an op on these inputs must record a node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// The node that receives gradients for `input`: its grad_fn, its
// accumulator if it is a leaf requiring grad, or null.
std::shared_ptr<Node> gradient_edge(const Tensor& input);

// Connects `output` to the graph: gives it `node` as grad_fn with edges to
// the inputs. Returns output. Call only when needs_grad(inputs).
Tensor attach(Tensor output, std::shared_ptr<Node> node, const std::vector<Tensor>& inputs);

// Shorthand for ops: if any input needs grad, attach a LambdaNode.
Tensor record_op(const char* name, Tensor output, const std::vector<Tensor>& inputs, BackwardFn backward);

// Runs backward from root with seed gradient grad_output (see
// Tensor::backward).
void run_backward(const Tensor& root, const Tensor& grad_output);
// Identifies the run_backward call in progress on this thread (a new value
// for each call; 0 outside any). Per-sample layers use it to tell a layer
// called twice in one graph from two separate backward passes.
std::uint64_t current_backward_pass();

}  // namespace veil::autograd
