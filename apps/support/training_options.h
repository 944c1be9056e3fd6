#pragma once
// mnist_dp_ddp's command line: its options, declared on a CLI11 app, and the
// checks that follow parsing. Here rather than in the app so that the
// argument fuzzer (tests/fuzz/fuzz_args.cpp) runs exactly this code.
#include <cstdint>
#include <string>

#include "support/options.h"

namespace veil::cli {

// The options, holding their defaults until parsed. threads 0: chosen from
// the cores and the workers on the node; max_steps -1: no limit; empty
// paths: not written.
struct TrainingOptions {
  std::string data;
  std::int64_t epochs = 10, batch_size = 200, max_steps = -1, threads = 0;
  double lr = 0.1, momentum = 0.0, sigma = 1.0, max_grad_norm = 1.0, delta = 1e-5, target_epsilon = 0.0,
         timeout = 300.0;
  std::string optimizer = "sgd", json, checkpoint, resume, device = "cpu", accountant = "rdp", save_model;
  // The recipe (support/recipes.h) fills every value above that the command
  // line does not give; `tutorial` is these defaults.
  std::string recipe = "tutorial", model = "sample-conv-net";
  std::int64_t width = 1, groups = 0;
  double ema_decay = 0.0;
  std::uint64_t seed = 0;
  bool no_dp = false, secure = false, show_loaders = false, sync_demo = false, cuda_graphs = false;

  bool dp() const { return !no_dp; }
};

// Describes the app and declares every option, bound to `options`.
void add_training_options(CLI::App& app, TrainingOptions& options);

// Applies the recipe to every option the command line did not give, then
// checks what parsing cannot: ranges, choices, flags that exclude each other,
// and that the output files can be written (found now, not after the first
// epoch has trained). Throws UsageError naming the flag.
void check_training_options(const CLI::App& app, TrainingOptions& options);

}  // namespace veil::cli
