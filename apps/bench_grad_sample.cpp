// bench_grad_sample: what per-sample gradients cost, layer by layer.
//
// For each layer and batch size it times, interleaved in the same process
// (plain, materialize, ghost, plain, materialize, ghost, ...):
//   plain        forward + backward with per-sample recording off: the
//                ordinary summed gradient lands in .grad;
//   materialize  forward + backward + the DP clipping work with every layer
//                on the Materialize route: grad_sample [B, ...] per
//                parameter, per-sample norms, clip factors (C = 1) and the
//                clipped weighted sum into .grad;
//   ghost        the same DP work on the Ghost route (norms and weighted sum
//                without materialising). LayerNorm and GroupNorm keep their
//                per-sample gradients materialised on every route (they are
//                as small as the parameters), so their ghost column times
//                the same route again.
// So a DP variant does everything a DP step needs before noise. Ratios are
// medians of per-round ratios to plain. The route Auto would take is reported
// per layer, with the ratio of that route. See --help.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/app_main.h"
#include "support/bench_timer.h"
#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"
#include "veil/core/device_runtime.h"
#include "veil/core/file_io.h"
#include "veil/core/parallel.h"
#include "veil/layers/conv2d.h"
#include "veil/layers/embedding.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/privacy/clipping.h"

namespace {

using namespace veil;
using cli::UsageError;

constexpr std::uint64_t kSeed = 1234;
constexpr double kMaxGradNorm = 1.0;
// --repeats auto: rounds per (layer, batch) cell, fitted to this budget.
constexpr double kAutoCellBudgetMs = 1400.0;
constexpr int kAutoMinRounds = 5, kAutoMaxRounds = 31;
// Calls per timed sample are raised until a sample lasts about this long.
constexpr double kMinSampleMs = 1.0;
constexpr int kMaxInner = 64;

struct LayerCase {
  std::string name;   // --layers name
  std::string shape;  // what is timed, for the table
  std::function<std::shared_ptr<Module>()> make;
  std::function<Tensor(std::int64_t batch)> input;
  bool input_grad;  // input gradient computed too (false: first layer / indices)
};

Tensor random_indices(std::int64_t batch, std::int64_t positions, std::int64_t vocabulary) {
  std::vector<std::int64_t> values(static_cast<std::size_t>(batch * positions));
  std::uint64_t state = kSeed;
  for (auto& v : values) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: enough for lookups
    v = static_cast<std::int64_t>((state >> 33) % static_cast<std::uint64_t>(vocabulary));
  }
  return Tensor::from_vector(values, {batch, positions});
}

std::vector<LayerCase> layer_cases() {
  auto images = [](std::int64_t c, std::int64_t h, std::int64_t w) {
    return [=](std::int64_t b) { return Tensor::normal({b, c, h, w}, 0.0, 1.0, kSeed, 7); };
  };
  std::vector<LayerCase> cases;
  cases.push_back({"linear", "Linear [B,512]->32", [] { return std::make_shared<Linear>(512, 32, kSeed); },
                   [](std::int64_t b) { return Tensor::normal({b, 512}, 0.0, 1.0, kSeed, 7); }, true});
  cases.push_back({"linear3d", "Linear [B,16,64]->64", [] { return std::make_shared<Linear>(64, 64, kSeed); },
                   [](std::int64_t b) { return Tensor::normal({b, 16, 64}, 0.0, 1.0, kSeed, 7); }, true});
  cases.push_back({"conv1", "Conv2d 1->16 k8 s2 p3 28x28",
                   [] { return std::make_shared<Conv2d>(1, 16, 8, kSeed, 2, 3); }, images(1, 28, 28), false});
  cases.push_back({"conv2", "Conv2d 16->32 k4 s2 13x13",
                   [] { return std::make_shared<Conv2d>(16, 32, 4, kSeed, 2, 0); }, images(16, 13, 13), true});
  cases.push_back({"conv3", "Conv2d 3->8 k3 p1 32x32", [] { return std::make_shared<Conv2d>(3, 8, 3, kSeed, 1, 1); },
                   images(3, 32, 32), true});
  cases.push_back({"embedding", "Embedding V1000 D32 [B,16]",
                   [] { return std::make_shared<Embedding>(1000, 32, kSeed); },
                   [](std::int64_t b) { return random_indices(b, 16, 1000); }, false});
  cases.push_back({"layernorm", "LayerNorm(64) [B,16,64]",
                   [] { return std::make_shared<LayerNorm>(Shape{64}); },
                   [](std::int64_t b) { return Tensor::normal({b, 16, 64}, 0.0, 1.0, kSeed, 7); }, true});
  cases.push_back({"groupnorm", "GroupNorm(4,16) [B,16,14,14]",
                   [] { return std::make_shared<GroupNorm>(4, 16); }, images(16, 14, 14), true});
  return cases;
}

std::string case_names(const std::vector<LayerCase>& cases) {
  std::string names;
  for (const auto& c : cases) names += (names.empty() ? "" : ",") + c.name;
  return names;
}

std::vector<std::string> split_commas(const std::string& text, const std::string& flag) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw UsageError("--" + flag + ": empty item in '" + text + "'");
    items.push_back(item);
  }
  if (items.empty() || text.back() == ',') throw UsageError("--" + flag + ": empty item in '" + text + "'");
  return items;
}

std::vector<std::int64_t> parse_batch_sizes(const std::string& text) {
  std::vector<std::int64_t> sizes;
  for (const std::string& item : split_commas(text, "batch-sizes")) {
    std::int64_t value = 0;
    try {
      value = cli::parse_integer("--batch-sizes", item);
    } catch (const UsageError&) {
      value = 0;  // refused below, with the list's message
    }
    if (value < 1 || value > 65536)
      throw UsageError("--batch-sizes expects integers in 1..65536, got '" + item + "'");
    sizes.push_back(value);
  }
  return sizes;
}

// The command line as given (text, threads) and as read (the rest).
struct Options {
  std::string repeats_text = "auto", batch_sizes_text = "16,64,256", layers_text = "all", json, device_text = "cpu";
  Device device;
  std::int64_t threads = 0;
  bool no_input_grad = false;
  int repeats = 0;  // 0: auto
  std::vector<std::int64_t> batch_sizes;
  std::vector<LayerCase> cases;
  bool input_grad = true;
};

void add_options(CLI::App& app, Options& o) {
  app.description(
      "Times forward+backward of each parametric layer three ways: plain (ordinary .grad),\n"
      "materialised per-sample gradients and the ghost (norm-only) route, the DP variants\n"
      "including per-sample norms, clipping (C = 1) and the clipped sum into .grad.\n"
      "Variants are interleaved in one process; medians and medians of per-round ratios.");
  cli::add_option(app, "--repeats", o.repeats_text, "R",
                  "timed rounds per layer and batch size, or 'auto' (5..31, ~1.4 s per cell)", "auto");
  cli::add_option(app, "--batch-sizes", o.batch_sizes_text, "LIST", "comma-separated batch sizes", "16,64,256");
  cli::add_option(app, "--layers", o.layers_text, "LIST", "comma-separated layers: " + case_names(layer_cases()), "all");
  cli::add_option(app, "--threads", o.threads, "N", "CPU threads", "OMP_NUM_THREADS or all cores");
  cli::add_flag(app, "--no-input-grad", o.no_input_grad,
                "do not compute input gradients (parameter gradients only) for any layer");
  cli::add_option(app, "--json", o.json, "FILE", "also write the results as JSON to FILE");
  cli::add_option(app, "--device", o.device_text, "DEV", "cpu or cuda (layer, input and gradients on it)", "cpu");
}

void read_options(const CLI::App& app, Options& o) {
  if (o.device_text != "cpu" && o.device_text != "cuda")
    throw UsageError("--device must be cpu or cuda, got '" + o.device_text + "'");
  o.device = Device::parse(o.device_text);
  if (o.device.is_cuda() && !cuda_available()) throw UsageError("--device cuda: no CUDA GPU is visible");
  const std::string& repeats = o.repeats_text;
  if (repeats != "auto") {
    const std::int64_t r = cli::parse_integer("--repeats", repeats);
    if (r < 1 || r > 100000) throw UsageError("--repeats must be 'auto' or an integer in 1..100000, got '" + repeats + "'");
    o.repeats = static_cast<int>(r);
  }
  o.batch_sizes = parse_batch_sizes(o.batch_sizes_text);
  const std::vector<LayerCase> all = layer_cases();
  const std::string& layers = o.layers_text;
  if (layers == "all") {
    o.cases = all;
  } else {
    for (const std::string& name : split_commas(layers, "layers")) {
      const auto found = std::find_if(all.begin(), all.end(), [&](const LayerCase& c) { return c.name == name; });
      if (found == all.end()) throw UsageError("--layers: unknown layer '" + name + "' (known: " + case_names(all) + ")");
      o.cases.push_back(*found);
    }
  }
  if (cli::given(app, "--threads")) {
    if (o.threads < 1 || o.threads > 1024)
      throw UsageError("--threads must be in 1..1024, got " + std::to_string(o.threads));
    set_num_threads(static_cast<int>(o.threads));
  }
  o.input_grad = !o.no_input_grad;
}

enum Variant : std::size_t { kPlain = 0, kMaterialize = 1, kGhost = 2, kVariants = 3 };
constexpr GradSampleMode kVariantMode[kVariants] = {GradSampleMode::Off, GradSampleMode::Materialize,
                                                    GradSampleMode::Ghost};

struct Row {
  std::string layer, shape;
  std::int64_t batch = 0;
  int rounds = 0, inner = 0;
  double ms[kVariants] = {};
  double ratio[kVariants] = {};  // to plain, median of per-round ratios
  GradSampleMode auto_route = GradSampleMode::Off;
  GradSampleMode ghost_route = GradSampleMode::Off;  // what a Ghost request actually took
  double auto_ratio = 0.0;
};

// Route taken by the layers after a backward with `mode`; Materialize if any
// layer materialised.
GradSampleMode probe_route(Module& module, const Tensor& input, const Tensor& grad_out, GradSampleMode mode) {
  module.zero_grad();
  module.set_per_sample({mode, LossReduction::Mean});
  module(input).backward(grad_out);
  GradSampleMode route = GradSampleMode::Ghost;
  for (PerSampleLayer* layer : module.per_sample_layers())
    if (layer->route_taken() == GradSampleMode::Materialize) route = GradSampleMode::Materialize;
  module.zero_grad();
  return route;
}

Row bench_cell(const LayerCase& c, std::int64_t batch, const Options& o) {
  Row row;
  row.layer = c.name;
  row.shape = c.shape;
  row.batch = batch;
  std::shared_ptr<Module> module = c.make();
  module->to(o.device);
  Tensor input = c.input(batch).to(o.device);
  const bool input_grad = c.input_grad && o.input_grad;
  if (input_grad) input.set_requires_grad(true);
  Tensor grad_out;
  {
    NoGradGuard no_grad;
    const Tensor y = (*module)(input);
    // A random output gradient, scaled as a mean-reduced loss would give it.
    grad_out = Tensor::normal(y.shape(), 0.0, 1.0 / static_cast<double>(batch), kSeed, 11).to(o.device);
  }
  const std::vector<PerSampleLayer*> layers = module->per_sample_layers();
  ClippingConfig clipping;
  clipping.max_grad_norm = kMaxGradNorm;

  auto run_variant = [&](std::size_t v) {
    module->zero_grad();
    if (input_grad) input.set_grad(Tensor());
    module->set_per_sample({kVariantMode[v], LossReduction::Mean});
  };
  std::vector<std::function<void()>> variants;
  for (std::size_t v = 0; v < kVariants; ++v) {
    const bool dp = kVariantMode[v] != GradSampleMode::Off;
    variants.push_back([&, dp] {
      (*module)(input).backward(grad_out);
      if (dp) {
        NoGradGuard no_grad;
        clip_and_accumulate(layers, clipping);
      }
      synchronize(o.device);  // a GPU variant ends when its kernels do
    });
  }

  // Warm-up round (allocations, caches), and a check that every variant
  // leaves a gradient in every parameter.
  for (std::size_t v = 0; v < kVariants; ++v) {
    run_variant(v);
    variants[v]();
    for (const Tensor& p : module->parameters())
      VEIL_CHECK(p.grad().defined()) << c.shape << ": variant " << v << " left no .grad";
  }
  // Calls per sample: enough for the plain variant to last ~kMinSampleMs.
  const bench::Samples probe = bench::interleave(variants, 3, 1, run_variant);
  const double plain_ms = bench::median(probe[kPlain]);
  row.inner = std::clamp(static_cast<int>(std::ceil(kMinSampleMs / std::max(plain_ms, 1e-6))), 1, kMaxInner);
  if (o.repeats > 0) {
    row.rounds = o.repeats;
  } else {
    double round_ms = 0.0;
    for (std::size_t v = 0; v < kVariants; ++v) round_ms += bench::median(probe[v]) * row.inner;
    row.rounds = std::clamp(static_cast<int>(kAutoCellBudgetMs / std::max(round_ms, 1e-6)), kAutoMinRounds,
                            kAutoMaxRounds);
  }

  const bench::Samples samples = bench::interleave(variants, row.rounds, row.inner, run_variant);
  for (std::size_t v = 0; v < kVariants; ++v) {
    row.ms[v] = bench::median(samples[v]);
    row.ratio[v] = bench::median_ratio(samples[v], samples[kPlain]);
  }
  row.auto_route = probe_route(*module, input, grad_out, GradSampleMode::Auto);
  row.ghost_route = probe_route(*module, input, grad_out, GradSampleMode::Ghost);
  row.auto_ratio = row.auto_route == GradSampleMode::Materialize ? row.ratio[kMaterialize] : row.ratio[kGhost];
  return row;
}

void write_json(const std::string& path, const std::vector<Row>& rows, bool input_grad, const std::string& load_before,
                const std::string& load_after, const std::string& device) {
  nlohmann::ordered_json summary = {{"bench", "bench_grad_sample"},
                                    {"device", device},
                                    {"threads", num_threads()},
                                    {"max_grad_norm", kMaxGradNorm},
                                    {"input_grad", input_grad},
                                    {"load_average_start", load_before},
                                    {"load_average_end", load_after},
                                    {"rows", nlohmann::ordered_json::array()}};
  for (const Row& r : rows) {
    summary["rows"].push_back({{"layer", r.layer},
                               {"shape", r.shape},
                               {"batch", r.batch},
                               {"rounds", r.rounds},
                               {"calls_per_sample", r.inner},
                               {"plain_ms", r.ms[kPlain]},
                               {"materialize_ms", r.ms[kMaterialize]},
                               {"ghost_ms", r.ms[kGhost]},
                               {"materialize_ratio", r.ratio[kMaterialize]},
                               {"ghost_ratio", r.ratio[kGhost]},
                               {"ghost_route_taken", grad_sample_mode_name(r.ghost_route)},
                               {"auto_route", grad_sample_mode_name(r.auto_route)},
                               {"auto_ratio", r.auto_ratio}});
  }
  write_file_atomically(path, summary.dump() + "\n", "results");
}

int run(const Options& o) {
  const std::string load_before = bench::load_average();
  std::printf("bench_grad_sample: threads %d, input gradients %s, clipping C = %g, mean-reduced loss, "
              "load average %s\n",
              num_threads(), o.input_grad ? "on (not for conv1, embedding)" : "off", kMaxGradNorm,
              load_before.c_str());
  std::printf("per call: plain = fwd+bwd -> .grad; mat/ghost = fwd+bwd+norms+clip+weighted sum -> .grad\n");
  std::printf("ms: median per call; ratios: median of per-round ratios to plain (interleaved rounds)\n\n");
  std::printf("%-9s %-29s %4s %9s %9s %9s %9s %9s %-6s %9s %7s\n", "layer", "shape", "B", "plain ms", "mat ms",
              "ghost ms", "mat/pl", "ghost/pl", "auto", "auto/pl", "rounds");
  std::fflush(stdout);
  std::vector<Row> rows;
  bench::Progress progress("bench_grad_sample");
  const std::size_t cells = o.cases.size() * o.batch_sizes.size();
  bool fallback = false;
  for (const LayerCase& c : o.cases) {
    for (const std::int64_t batch : o.batch_sizes) {
      progress.update("cell " + std::to_string(rows.size() + 1) + "/" + std::to_string(cells) + " (" + c.name +
                      ", B=" + std::to_string(batch) + ")");
      const Row r = bench_cell(c, batch, o);
      const bool ghost_fell_back = r.ghost_route != GradSampleMode::Ghost;
      fallback = fallback || ghost_fell_back;
      std::printf("%-9s %-29s %4lld %9.3f %9.3f %9.3f %9.2f %8.2f%s %-6s %9.2f %4dx%d\n", r.layer.c_str(),
                  r.shape.c_str(), static_cast<long long>(r.batch), r.ms[kPlain], r.ms[kMaterialize], r.ms[kGhost],
                  r.ratio[kMaterialize], r.ratio[kGhost], ghost_fell_back ? "*" : " ",
                  r.auto_route == GradSampleMode::Materialize ? "mat" : "ghost", r.auto_ratio, r.rounds, r.inner);
      std::fflush(stdout);
      rows.push_back(r);
    }
  }
  progress.finish();
  const std::string load_after = bench::load_average();
  std::printf("\nrounds: timed rounds x calls per timed sample. load average at the end: %s\n", load_after.c_str());
  if (fallback)
    std::printf("* the layer keeps per-sample gradients materialised on every route (a Ghost request takes "
                "Materialize), so ghost repeats the mat measurement.\n");
  if (!o.json.empty()) write_json(o.json, rows, o.input_grad, load_before, load_after, o.device_text);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run<Options>("bench_grad_sample", argc, argv, add_options, read_options, run);
}
