// Note [Captured steps] in core/graphed_step.h.
#include "veil/core/graphed_step.h"

#include <algorithm>
#include <sstream>
#include <utility>

#include "veil/core/error.h"

namespace veil {

struct GraphedStep::Graph {
  // Destroyed in reverse order: the graph (and its memory pool) first.
  std::vector<Tensor> inputs;  // static: each run copies its batch here
  Result result;
  std::unique_ptr<DeviceGraph> graph;
  std::uint64_t last_used = 0;
};

namespace {

std::string signature(const std::vector<Tensor>& inputs) {
  std::ostringstream os;
  for (const Tensor& t : inputs) os << t.device() << t.dtype() << t.shape() << ';';
  return os.str();
}

}  // namespace

GraphedStep::GraphedStep(Step step, std::size_t max_graphs) : step_(std::move(step)), max_graphs_(max_graphs) {
  VEIL_CHECK(step_) << "GraphedStep needs a step";
  VEIL_CHECK(max_graphs >= 1) << "GraphedStep keeps at least one graph, got max_graphs " << max_graphs;
}

GraphedStep::~GraphedStep() = default;

std::function<void()> GraphedStep::restore_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) grads.push_back(p.grad());
  return [parameters, grads] {
    for (std::size_t k = 0; k < parameters.size(); ++k) parameters[k].set_grad(grads[k]);
  };
}

std::vector<Tensor> GraphedStep::run(const std::vector<Tensor>& inputs) {
  VEIL_CHECK(!inputs.empty()) << "GraphedStep::run needs at least one input tensor";
  const Device device = inputs[0].device();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    VEIL_CHECK(inputs[k].defined()) << "GraphedStep::run: input " << k << " is undefined";
    VEIL_CHECK(inputs[k].device() == device) << "GraphedStep::run: input " << k << " is on " << inputs[k].device()
                                             << ", input 0 on " << device << ": the inputs must be on one device";
  }
  if (device.is_cpu()) return step_(inputs).outputs;

  const std::string key = signature(inputs);
  if (const auto found = graphs_.find(key); found != graphs_.end()) {
    Graph& g = *found->second;
    for (std::size_t k = 0; k < inputs.size(); ++k) g.inputs[k].copy_(inputs[k]);
    g.graph->replay();
    if (g.result.after_replay) g.result.after_replay();
    g.last_used = ++clock_;
    ++replays_;
    return g.result.outputs;
  }
  if (warmed_up_.insert(key).second) return step_(inputs).outputs;

  // Make room first, so that the recording can reuse the dropped graph's memory.
  if (graphs_.size() >= max_graphs_)
    graphs_.erase(std::min_element(graphs_.begin(), graphs_.end(), [](const auto& a, const auto& b) {
      return a.second->last_used < b.second->last_used;
    }));
  auto g = std::make_unique<Graph>();
  for (const Tensor& input : inputs) g->inputs.push_back(input.detach().clone());
  g->graph = capture_device_graph(device, [&] { g->result = step_(g->inputs); });
  for (Tensor& output : g->result.outputs)
    if (output.defined()) output = output.detach();
  g->graph->replay();  // the recording ran nothing
  g->last_used = ++clock_;
  ++recordings_;
  ++replays_;
  const std::vector<Tensor> outputs = g->result.outputs;
  graphs_.emplace(key, std::move(g));
  return outputs;
}

}  // namespace veil
