#pragma once
// mnist_dp_ddp's recipes: named sets of hyper-parameters (model, batch size,
// epochs, learning rate, clipping, optimizer, weight averaging) and the
// privacy target they are calibrated to. `tutorial` holds the app's own
// defaults; the others reach a target epsilon with the tightest certified
// accountant. The measurements behind each choice are in docs/results.md.
#include <cstdint>
#include <string>
#include <vector>

namespace veil::cli {

struct Recipe {
  std::string name, summary;
  std::string model;        // "sample-conv-net", "tanh-cnn" or "scatter-linear"
  std::int64_t width = 1;   // tanh-cnn's channel multiplier
  std::int64_t groups = 0;  // GroupNorm groups of tanh-cnn or scatter-linear (0: none)
  std::int64_t epochs = 10, batch_size = 200;
  double lr = 0.1, momentum = 0.0, max_grad_norm = 1.0;
  double sigma = 1.0;           // used when target_epsilon is 0
  double target_epsilon = 0.0;  // > 0: sigma is calibrated to spend it over all epochs
  std::string optimizer = "sgd", accountant = "rdp";
  double ema_decay = 0.0;  // > 0: evaluate an exponential moving average of the weights
};

// Every recipe, `tutorial` first.
const std::vector<Recipe>& recipes();

// The recipe called `name`; throws UsageError naming it and the known ones.
const Recipe& find_recipe(const std::string& name);

// "tutorial, mnist-eps3, fashion-eps3", for messages and --help.
std::string recipe_names();

}  // namespace veil::cli
