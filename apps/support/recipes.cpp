#include "support/recipes.h"

#include "support/options.h"

namespace veil::cli {

namespace {

// The tutorial's values are the flags' defaults (support/training_options.h):
// a run without --recipe is the run it has always been.
Recipe tutorial() {
  Recipe r;
  r.name = "tutorial";
  r.summary = "the Opacus tutorial: SampleConvNet, batch 200, 10 epochs, SGD lr 0.1, sigma 1.0, clipping 1.0, RDP";
  r.model = "sample-conv-net";
  return r;
}

// Tramer & Boneh's Tanh CNN with their batch 512, momentum 0.9 and clipping
// 0.1, a learning rate of 2 (0.5 learnt slower), 10 epochs and weight
// averaging; sigma from the PLD accountant, whose certified bound is the
// tightest veil has. docs/results.md has what each choice bought.
Recipe eps3(std::string name, std::string summary) {
  Recipe r;
  r.name = std::move(name);
  r.summary = std::move(summary);
  r.model = "tanh-cnn";
  r.width = 1;
  r.groups = 0;
  r.epochs = 10;
  r.batch_size = 512;
  r.lr = 2.0;
  r.momentum = 0.9;
  r.max_grad_norm = 0.1;
  r.target_epsilon = 3.0;
  r.accountant = "pld";
  r.ema_decay = 0.99;
  return r;
}

}  // namespace

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all = {
      tutorial(),
      eps3("mnist-eps3", "MNIST at epsilon 3, delta 1e-5: Tanh CNN, batch 512, momentum 0.9, clipping 0.1, "
                         "weight averaging, sigma calibrated with PLD"),
      eps3("fashion-eps3", "Fashion-MNIST at epsilon 3, delta 1e-5: the same training as mnist-eps3"),
  };
  return all;
}

std::string recipe_names() {
  std::string names;
  for (const Recipe& r : recipes()) names += (names.empty() ? "" : ", ") + r.name;
  return names;
}

const Recipe& find_recipe(const std::string& name) {
  for (const Recipe& r : recipes())
    if (r.name == name) return r;
  throw UsageError("--recipe must be one of " + recipe_names() + ", got '" + name + "'");
}

}  // namespace veil::cli
