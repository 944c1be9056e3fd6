#include "support/training_options.h"

#include <utility>

#include "support/recipes.h"
#include "veil/core/device_runtime.h"
#include "veil/core/file_io.h"

namespace veil::cli {

namespace {

// More threads than any machine this runs on has cores: a larger --threads
// is a typo, not a request.
constexpr std::int64_t kMaxThreads = 4096;

void usage(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

// A flag given on the command line overrides the recipe's value for it.
template <typename T>
void unless_given(const CLI::App& app, const char* flag, T& option, const T& recipe_value) {
  if (!given(app, flag)) option = recipe_value;
}

void apply_recipe(const CLI::App& app, TrainingOptions& o) {
  const Recipe& r = find_recipe(o.recipe);
  unless_given(app, "--model", o.model, r.model);
  unless_given(app, "--width", o.width, r.width);
  unless_given(app, "--groups", o.groups, r.groups);
  unless_given(app, "--epochs", o.epochs, r.epochs);
  unless_given(app, "--batch-size", o.batch_size, r.batch_size);
  unless_given(app, "--lr", o.lr, r.lr);
  unless_given(app, "--momentum", o.momentum, r.momentum);
  unless_given(app, "--max-grad-norm", o.max_grad_norm, r.max_grad_norm);
  unless_given(app, "--optimizer", o.optimizer, r.optimizer);
  unless_given(app, "--accountant", o.accountant, r.accountant);
  unless_given(app, "--ema-decay", o.ema_decay, r.ema_decay);
  unless_given(app, "--sigma", o.sigma, r.sigma);
  // An explicit --sigma asks for that noise: the recipe's target gives way.
  if (!given(app, "--target-epsilon")) o.target_epsilon = given(app, "--sigma") ? 0.0 : r.target_epsilon;
}

}  // namespace

void add_training_options(CLI::App& app, TrainingOptions& o) {
  app.description(
      "Train SampleConvNet on MNIST with DP-SGD (Poisson sampling, per-sample clipping, Gaussian noise, privacy "
      "accounting), or with --recipe another model and training calibrated to a target epsilon (the defaults shown "
      "are the tutorial recipe's). Train loss and train accuracy are computed on the private training data without DP: epsilon does "
      "not cover them, so do not release them; test accuracy uses the test split.");
  add_option(app, "--recipe", o.recipe, "NAME",
             "hyper-parameters to start from: " + recipe_names() +
                 " (see docs/results.md). Every flag given with it overrides the recipe's value; --sigma replaces "
                 "its target epsilon",
             "tutorial");
  add_option(app, "--data", o.data, "DIR", "directory with the MNIST IDX files (plain or .gz)",
             "$VEIL_DATA, ./data/mnist, then Debian's Fashion-MNIST");
  add_option(app, "--epochs", o.epochs, "N", "training epochs", "10");
  add_option(app, "--batch-size", o.batch_size, "B", "logical (expected) batch size", "200");
  add_option(app, "--lr", o.lr, "LR", "learning rate", "0.1");
  add_option(app, "--momentum", o.momentum, "M", "SGD momentum", "0");
  add_option(app, "--sigma", o.sigma, "S", "noise multiplier", "1.0");
  add_option(app, "--max-grad-norm", o.max_grad_norm, "C", "per-sample clipping threshold", "1.0");
  add_option(app, "--delta", o.delta, "D", "target delta", "1e-5");
  add_option(app, "--target-epsilon", o.target_epsilon, "E",
             "calibrate sigma to spend E over all epochs (overrides --sigma)");
  add_option(app, "--accountant", o.accountant, "NAME", "rdp, prv, pld or gdp: computes every epsilon (calibration and log)",
             "rdp");
  add_option(app, "--optimizer", o.optimizer, "NAME", "sgd or adam", "sgd");
  add_option(app, "--model", o.model, "NAME",
             "sample-conv-net (the tutorial's), tanh-cnn (Tramer & Boneh's end-to-end CNN) or scatter-linear (their "
             "linear model on ScatterNet features, computed once at start-up)",
             "sample-conv-net");
  add_option(app, "--width", o.width, "K", "tanh-cnn: channel multiplier of its convolutions", "1");
  add_option(app, "--groups", o.groups, "G",
             "tanh-cnn: GroupNorm groups after each convolution; scatter-linear: GroupNorm groups (no parameters) "
             "over the 81 scattering channels; 0 for none",
             "0");
  add_option(app, "--ema-decay", o.ema_decay, "D",
             "evaluate (and save with --save-model) an exponential moving average of the weights with this decay; "
             "post-processing, so it costs no privacy; 0 for none",
             "0");
  add_option(app, "--seed", o.seed, "N",
             "seed for model initialisation and for sampling and noise, which it makes reproducible (not with "
             "--secure)",
             "0");
  add_flag(app, "--secure", o.secure,
           "secure mode, for real private data: Poisson sampling from ChaCha20 keyed by the OS and noise from the "
           "exact discrete Gaussian; not reproducible, and no seed is printed or stored. The model is still "
           "initialised from seed 0: it is public, not private data");
  add_option(app, "--threads", o.threads, "N", "CPU threads per worker", "cores / workers on this node");
  add_option(app, "--device", o.device, "DEV", "cpu or cuda", "cpu");
  add_flag(app, "--no-dp", o.no_dp, "train without DP (same model and loop, plain SGD), the baseline");
  add_flag(app, "--cuda-graphs", o.cuda_graphs,
           "replay each step's forward, loss, backward and clipping as a CUDA graph, one per batch size, recorded "
           "at its second occurrence (noise and update run eagerly; the results are the same): pays with the "
           "fixed batches of --no-dp, rarely with Poisson batches, whose size changes every step; on the CPU the "
           "steps run directly");
  add_option(app, "--max-steps", o.max_steps, "K", "stop after K optimizer steps in total (quick timing)");
  add_option(app, "--json", o.json, "FILE",
             "write a machine-readable summary with every epoch's figures; epsilon is a number, or the string "
             "\"inf\" when no finite bound holds (a step without noise, or --no-dp)");
  add_option(app, "--checkpoint", o.checkpoint, "FILE",
             "write model, optimizer, sampler position and privacy ledger after each epoch");
  add_option(app, "--resume", o.resume, "FILE", "resume from a checkpoint written by --checkpoint");
  add_option(app, "--save-model", o.save_model, "FILE",
             "write the model's parameters as safetensors after each epoch, with PyTorch's names (conv1.weight, "
             "...), for safetensors.torch.load_file and load_state_dict on the tutorial's SampleConvNet");
  add_option(app, "--timeout", o.timeout, "S",
             "seconds a worker waits for the others in a collective before it stops with an error", "300");
  add_flag(app, "--show-loaders", o.show_loaders,
           "print the plain, distributed and distributed private loaders (for 2 workers when started alone) and exit");
  add_flag(app, "--sync-demo", o.sync_demo,
           "one step with sigma 0 and clipping 100, printing each worker's gradient before and after step(), and "
           "exit");
}

void check_training_options(const CLI::App& app, TrainingOptions& c) {
  apply_recipe(app, c);
  usage(c.epochs > 0, "--epochs must be positive");
  usage(c.batch_size > 0, "--batch-size must be positive");
  usage(c.lr > 0, "--lr must be positive");
  usage(c.momentum >= 0 && c.momentum < 1, "--momentum must be in [0, 1)");
  usage(c.sigma >= 0, "--sigma must be >= 0");
  usage(c.max_grad_norm > 0, "--max-grad-norm must be positive");
  usage(c.delta > 0 && c.delta < 1, "--delta must be in (0, 1)");
  usage(!given(app, "--target-epsilon") || c.target_epsilon > 0, "--target-epsilon must be positive");
  usage(c.model == "sample-conv-net" || c.model == "tanh-cnn" || c.model == "scatter-linear",
        "--model must be sample-conv-net, tanh-cnn or scatter-linear, got '" + c.model + "'");
  usage(c.width >= 1 && c.width <= 64, "--width must be between 1 and 64");
  usage(c.model == "tanh-cnn" || c.width == 1, "--width applies to --model tanh-cnn only");
  usage(c.model != "sample-conv-net" || c.groups == 0, "--groups applies to --model tanh-cnn and scatter-linear only");
  if (c.model == "scatter-linear")
    usage(c.groups >= 0 && (c.groups == 0 || 81 % c.groups == 0),
          "--groups must be 0 or divide the 81 scattering channels (1, 3, 9, 27 or 81) for --model scatter-linear");
  else
    usage(c.groups >= 0 && (c.groups == 0 || (16 * c.width) % c.groups == 0),
          "--groups must be 0 or divide the " + std::to_string(16 * c.width) + " channels of the first convolution");
  usage(c.ema_decay >= 0 && c.ema_decay < 1, "--ema-decay must be in [0, 1)");
  // The average is not saved in a checkpoint: a resumed run would restart it.
  usage(c.ema_decay == 0 || (c.checkpoint.empty() && c.resume.empty()),
        "--ema-decay (set by --recipe " + c.recipe + ") cannot be combined with --checkpoint or --resume yet; "
        "give --ema-decay 0 to use them");
  usage(c.optimizer == "sgd" || c.optimizer == "adam", "--optimizer must be sgd or adam, got '" + c.optimizer + "'");
  usage(c.accountant == "rdp" || c.accountant == "prv" || c.accountant == "pld" || c.accountant == "gdp",
        "--accountant must be rdp, prv, pld or gdp, got '" + c.accountant + "'");
  usage(!given(app, "--threads") || (c.threads >= 1 && c.threads <= kMaxThreads),
        "--threads must be between 1 and " + std::to_string(kMaxThreads));
  usage(!given(app, "--max-steps") || c.max_steps >= 1, "--max-steps must be positive");
  usage(c.device == "cpu" || c.device == "cuda", "--device must be cpu or cuda, got '" + c.device + "'");
  usage(c.timeout > 0, "--timeout must be positive");
  // The same kind of mistake as --device tpu, so the same exit status.
  usage(c.device == "cpu" || built_with_cuda(),
        "--device cuda: training on the GPU is not available in this build yet (CPU kernels only); use --device cpu");
  usage(c.device == "cpu" || cuda_available(), "--device cuda: no CUDA GPU is visible; use --device cpu");
  for (const auto& [flag, path] : {std::pair{"--checkpoint", c.checkpoint}, std::pair{"--json", c.json},
                                   std::pair{"--save-model", c.save_model}}) {
    const std::string problem = path.empty() ? "" : output_problem(path);
    usage(problem.empty(), std::string(flag) + " " + path + ": " + problem);
  }
  usage(!c.secure || !given(app, "--seed"),
        "--secure takes sampling and noise from the OS: it cannot be combined with --seed");
  usage(!c.secure || c.dp(), "--secure applies to DP training: it cannot be combined with --no-dp");
}

}  // namespace veil::cli
