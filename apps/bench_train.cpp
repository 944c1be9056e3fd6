// bench_train: the cost of DP-SGD over plain SGD on the model of the MNIST
// example, in one process.
//
// Two SampleConvNet copies (same seed) train on the same synthetic
// MNIST-shaped batches (N(0, 1) images [B, 1, 28, 28], uniform labels), with
// a fixed batch size for both so the ratio is pure compute:
//   DP      per-sample recording Auto, mean-reduced cross-entropy,
//           DPOptimizer(SGD lr 0.1) with sigma 1, C 1: per-sample norms,
//           clipping, clipped sum, Gaussian noise, division by B, update;
//   non-DP  the same forward and loss, backward into .grad, SGD lr 0.1.
// Steps run in alternating rounds (DP round, non-DP round, ...), so load
// drift on a shared machine hits both; the ratio is the median over rounds
// of (median DP step / median non-DP step) within the round pair. Each
// step is timed in phases (forward+loss, backward, clip+accumulate,
// noise+update) for a breakdown. --profile splits the DP step finer through
// the library's phase marks (core/phase_marks.h: per-sample norms, clipping,
// noise, update) and sets the step's model FLOPs (from the layer shapes)
// against the GEMM rate veil's own kernels reach on a large product in the
// same run. --cuda-graphs adds a graphed copy of each kind, whose forward,
// loss, backward and clipping replay as one CUDA graph (noise and update
// eager; Note [Captured steps], core/graphed_step.h), and reports graphed
// against eager step times; every kind is then timed as whole steps, with no
// waits at phase boundaries, which a graph does not have. See --help.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/app_main.h"
#include "support/bench_timer.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_runtime.h"
#include "veil/core/compare.h"
#include "veil/core/file_io.h"
#include "veil/core/graphed_step.h"
#include "veil/core/parallel.h"
#include "veil/core/phase_marks.h"
#include "veil/layers/losses.h"
#include "veil/optim/optimizer.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/privacy/validator.h"
#include "veil/privacy/dp_optimizer.h"

namespace {

using namespace veil;
using cli::UsageError;

constexpr double kLr = 0.1, kSigma = 1.0, kMaxGradNorm = 1.0;
constexpr std::int64_t kDatasetSize = 60000;  // only for the sample rate recorded in the ledger
constexpr int kDataBatches = 4;               // distinct synthetic batches, cycled

struct Options {
  std::int64_t steps = 50, batch_size = 200, round_steps = 5, warmup = 3, threads = 0, seed = 0;
  std::string only, json, device_text = "cpu";
  bool run_dp = true, run_plain = true, profile = false, cuda_graphs = false;
  Device device;
};

void add_options(CLI::App& app, Options& o) {
  app.description(
      "Times DP-SGD (Auto per-sample route, sigma 1, C 1, SGD lr 0.1) against plain SGD\n"
      "training SampleConvNet on synthetic MNIST-shaped batches of a fixed size, in\n"
      "alternating rounds in one process; prints steps/s, samples/s, median step times,\n"
      "the DP/non-DP ratio (median of per-round ratios) and a per-phase breakdown.");
  cli::add_option(app, "--steps", o.steps, "N", "timed steps of each kind", "50");
  cli::add_option(app, "--batch-size", o.batch_size, "B", "examples per step (both kinds)", "200");
  cli::add_option(app, "--round-steps", o.round_steps, "K", "steps per round before switching kind", "5");
  cli::add_option(app, "--warmup", o.warmup, "N", "untimed steps of each kind before timing", "3");
  cli::add_option(app, "--threads", o.threads, "N", "CPU threads", "OMP_NUM_THREADS or all cores");
  cli::add_option(app, "--seed", o.seed, "N", "seed of the model and the synthetic data", "0");
  cli::add_option(app, "--only", o.only, "KIND", "run only 'dp' or 'non-dp' (for profiling; no ratio)");
  cli::add_option(app, "--json", o.json, "FILE", "also write the results as JSON to FILE");
  app.add_flag("--profile", o.profile,
               "also split each step into forward, backward, per-sample norms, clipping, noise and update, and\n"
               "compare the step's GFLOP/s with a large GEMM's");
  cli::add_option(app, "--device", o.device_text, "DEV", "cpu or cuda (model and batches on it)", "cpu");
  app.add_flag("--cuda-graphs", o.cuda_graphs,
               "also time each kind with forward, loss, backward and clipping replayed as a CUDA graph (noise and\n"
               "update eager), and report graphed against eager; all kinds are then timed as whole steps (on the\n"
               "CPU the graphed kinds run the same step directly)");
}

void read_options(const CLI::App& app, Options& o) {
  if (o.device_text != "cpu" && o.device_text != "cuda")
    throw UsageError("--device must be cpu or cuda, got '" + o.device_text + "'");
  o.device = Device::parse(o.device_text);
  if (o.device.is_cuda() && !cuda_available()) throw UsageError("--device cuda: no CUDA GPU is visible");
  if (o.steps < 1 || o.steps > 1000000) throw UsageError("--steps must be in 1..1000000, got " + std::to_string(o.steps));
  if (o.batch_size < 1 || o.batch_size > 100000)
    throw UsageError("--batch-size must be in 1..100000, got " + std::to_string(o.batch_size));
  if (o.round_steps < 1) throw UsageError("--round-steps must be positive, got " + std::to_string(o.round_steps));
  if (o.warmup < 0) throw UsageError("--warmup must be >= 0, got " + std::to_string(o.warmup));
  if (o.seed < 0) throw UsageError("--seed must be >= 0, got " + std::to_string(o.seed));
  if (o.cuda_graphs && o.profile)
    throw UsageError("--cuda-graphs and --profile exclude each other: --profile splits steps at phase boundaries, "
                     "which a graph does not have");
  if (o.cuda_graphs && o.warmup < 2)
    throw UsageError("--cuda-graphs needs --warmup of at least 2 (an eager step, then the recording), got " +
                     std::to_string(o.warmup));
  if (cli::given(app, "--only")) {
    if (o.only != "dp" && o.only != "non-dp") throw UsageError("--only must be 'dp' or 'non-dp', got '" + o.only + "'");
    o.run_dp = o.only == "dp";
    o.run_plain = o.only == "non-dp";
  }
  if (cli::given(app, "--threads")) {
    if (o.threads < 1 || o.threads > 1024)
      throw UsageError("--threads must be in 1..1024, got " + std::to_string(o.threads));
    set_num_threads(static_cast<int>(o.threads));
  }
}

struct Batch {
  Tensor images, labels;
};

std::vector<Batch> synthetic_batches(std::int64_t batch, std::uint64_t seed, Device device) {
  std::vector<Batch> batches;
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int k = 0; k < kDataBatches; ++k) {
    std::vector<std::int64_t> labels(static_cast<std::size_t>(batch));
    for (auto& label : labels) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      label = static_cast<std::int64_t>((state >> 33) % 10);
    }
    // Resident on the device, so a step times compute, not copies.
    batches.push_back({Tensor::normal({batch, 1, 28, 28}, 0.0, 1.0, seed + 1000, static_cast<std::uint64_t>(k)).to(device),
                       Tensor::from_vector(labels, {batch}).to(device)});
  }
  return batches;
}

// Phase times of one step, ms.
enum Phase : std::size_t { kForward, kBackward, kClip, kUpdate, kPhases };
constexpr const char* kPhaseName[kPhases] = {"forward+loss", "backward", "clip+accumulate", "noise+update"};

// The finer phases of --profile, in step order: the library marks the ends
// of the last four (core/phase_marks.h); a non-DP step has no norms,
// clipping or noise.
constexpr const char* kProfilePhases[] = {"forward+loss", "backward", "per-sample norms", "clipping", "noise", "update"};
constexpr std::size_t kProfilePhaseCount = std::size(kProfilePhases);

// The ends of the phases of the step in progress, as the library marks them.
struct PhaseMark {
  const char* phase;
  std::chrono::steady_clock::time_point at;
};
std::vector<PhaseMark> phase_marks;
void record_phase_mark(const char* phase) { phase_marks.push_back({phase, std::chrono::steady_clock::now()}); }

struct Timings {
  std::vector<double> step;                            // per step
  std::vector<double> phase[kPhases];                  // per step
  std::vector<double> profile[kProfilePhaseCount];     // per step, with --profile
  std::vector<double> round_median;                    // median step per round
  double last_loss = 0.0;
};

class Trainer {
 public:
  // `graphed`: forward, loss, backward and clipping run through a GraphedStep.
  Trainer(bool dp, bool graphed, const Options& o)
      : dp_(dp), device_(o.device), model_(static_cast<std::uint64_t>(o.seed)) {
    model_.to(device_);
    if (graphed) graphed_ = std::make_unique<GraphedStep>([this](const std::vector<Tensor>& in) { return record(in); });
    auto sgd = std::make_unique<SGD>(model_.parameters(), SGDOptions{kLr});
    if (!dp) {
      sgd_ = std::move(sgd);
      return;
    }
    check_dp_compatible(model_);
    model_.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
    DPOptimizerOptions options;
    options.noise_multiplier = kSigma;
    options.clipping.max_grad_norm = kMaxGradNorm;
    options.expected_batch_size = static_cast<double>(o.batch_size);
    options.sample_rate = std::min(1.0, static_cast<double>(o.batch_size) / kDatasetSize);
    options.noise_seed = static_cast<std::uint64_t>(o.seed);
    dp_optimizer_ = std::make_unique<DPOptimizer>(model_, std::move(sgd), options);
  }

  // One training step; phase times (ms) into `phases` when given, and into
  // `profile` (kProfilePhases; 0 for a phase the step lacks) when given and
  // the phase marks are on. Without either, the step is timed whole.
  double step(const Batch& batch, double* phases = nullptr, double* profile = nullptr) {
    using clock = std::chrono::steady_clock;
    // GPU work is queued: each phase ends when the device is done with it.
    const auto now = [this] {
      synchronize(device_);
      return clock::now();
    };
    const bool split = phases != nullptr || profile != nullptr;
    const auto mark = [&] { return split ? now() : clock::time_point(); };
    if (graphed_) {
      VEIL_ASSERT(!split) << "a graphed step is timed whole";
      const auto t0 = now();
      const Tensor loss = graphed_->run({batch.images, batch.labels})[0];
      update();
      const auto t1 = now();
      last_loss_ = loss.item();
      return std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    phase_marks.clear();
    const auto t0 = now();
    Tensor loss = cross_entropy(model_(batch.images), batch.labels);
    const auto t1 = mark();
    loss.backward();
    const auto t2 = mark();
    phase_marks.push_back({"backward", t2});
    if (dp_) {
      if (routes_.empty())
        for (const auto& [name, module] : model_.named_modules())
          if (auto* layer = dynamic_cast<PerSampleLayer*>(module.get()))
            routes_ += (routes_.empty() ? "" : ", ") + name + " " + grad_sample_mode_name(layer->route_taken());
      dp_optimizer_->accumulate_microbatch();
    }
    const auto t3 = mark();
    update();
    if (!dp_) phase_marks.push_back({"update", clock::now()});
    const auto t4 = now();
    if (profile) split_profile(t0, t1, profile);
    if (phases) {
      auto ms = [](clock::time_point a, clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
      };
      phases[kForward] = ms(t0, t1);
      phases[kBackward] = ms(t1, t2);
      phases[kClip] = ms(t2, t3);
      phases[kUpdate] = ms(t3, t4);
    }
    last_loss_ = loss.item();
    return std::chrono::duration<double, std::milli>(t4 - t0).count();
  }

  double last_loss() const { return last_loss_; }
  const std::string& routes() const { return routes_; }
  Module& model() { return model_; }
  std::int64_t replays() const { return graphed_ ? graphed_->replays() : 0; }

 private:
  // The noise (DP) and the update, eagerly, then zero_grad.
  void update() {
    if (dp_) {
      dp_optimizer_->step();  // noise, division by B, SGD update, zero_grad
    } else {
      sgd_->step();
      sgd_->zero_grad();
    }
  }

  // The graphed part of a step: forward, loss, backward and, for DP,
  // clipping; after a replay, the host state it leaves is put back.
  GraphedStep::Result record(const std::vector<Tensor>& in) {
    Tensor loss = cross_entropy(model_(in[0]), in[1]);
    loss.backward();
    if (dp_) {
      dp_optimizer_->accumulate_microbatch();
      return {{loss}, [this, pending = dp_optimizer_->pending_record()] { dp_optimizer_->restore_pending(pending); }};
    }
    return {{loss}, GraphedStep::restore_grads(model_.parameters())};
  }

  bool dp_;
  Device device_;
  SampleConvNet model_;
  std::unique_ptr<SGD> sgd_;
  std::unique_ptr<DPOptimizer> dp_optimizer_;
  std::unique_ptr<GraphedStep> graphed_;
  std::string routes_;
  double last_loss_ = 0.0;

  // Each phase lasts from the previous mark to its own.
  static void split_profile(std::chrono::steady_clock::time_point start,
                            std::chrono::steady_clock::time_point forward_end, double* profile) {
    std::fill(profile, profile + kProfilePhaseCount, 0.0);
    profile[0] = std::chrono::duration<double, std::milli>(forward_end - start).count();
    auto previous = forward_end;
    for (const PhaseMark& mark : phase_marks) {
      const auto* found = std::find_if(std::begin(kProfilePhases), std::end(kProfilePhases),
                                       [&](const char* name) { return std::string(name) == mark.phase; });
      if (found == std::end(kProfilePhases)) throw Error(std::string("unknown phase mark '") + mark.phase + "'");
      profile[found - std::begin(kProfilePhases)] += std::chrono::duration<double, std::milli>(mark.at - previous).count();
      previous = mark.at;
    }
  }
};

// Multiply-adds of one example's forward pass through SampleConvNet, from
// its layers' shapes, walking its layers in order with its max-pool 2 stride
// 1 after each convolution; `first` gets the first layer's share (its
// backward computes no input gradient).
double sample_conv_net_forward_macs(Module& model, double& first) {
  std::int64_t channels = 1, height = 28, width = 28;
  double total = 0;
  first = -1;
  for (const auto& [name, module] : model.named_modules()) {
    double macs = 0;
    if (const auto* conv = dynamic_cast<const Conv2d*>(module.get())) {
      const Conv2dOptions& o = conv->options();
      const Shape& w = conv->weight().shape();  // [C_out, C_in/G, kh, kw]
      VEIL_CHECK(w[1] * o.groups == channels) << name << " takes " << w[1] * o.groups << " channels, not " << channels;
      height = (height + 2 * o.padding_h - o.dilation_h * (o.kernel_h - 1) - 1) / o.stride_h + 1;
      width = (width + 2 * o.padding_w - o.dilation_w * (o.kernel_w - 1) - 1) / o.stride_w + 1;
      macs = static_cast<double>(w[0]) * w[1] * w[2] * w[3] * height * width;
      channels = w[0];
      height -= 1;  // max-pool 2 stride 1
      width -= 1;
    } else if (const auto* linear = dynamic_cast<const Linear*>(module.get())) {
      const Shape& w = linear->weight().shape();  // [out, in]
      VEIL_CHECK(channels * height * width == w[1])
          << name << " takes " << w[1] << " features, not the " << channels * height * width << " before it";
      macs = static_cast<double>(w[0]) * w[1];
      channels = w[0];
      height = width = 1;
    }
    if (macs > 0 && first < 0) first = macs;
    total += macs;
  }
  return total;
}

// GFLOP/s of veil's matmul on an n x n x n float product: the median of a
// few runs after one untimed, at the current thread count.
double gemm_peak_gflops(std::int64_t n) {
  const Tensor a = Tensor::uniform({n, n}, -1, 1, 1), b = Tensor::uniform({n, n}, -1, 1, 2);
  Tensor c = matmul(a, b);
  const double ms = bench::median_ms(5, [&] { c = matmul(a, b); });
  return 2.0 * static_cast<double>(n) * n * n / (ms * 1e6);
}

void print_profile(const Options& o, Module& model, const Timings& dp, const Timings& plain) {
  constexpr std::int64_t kGemmSize = 1024;
  double first = 0;
  const double example_macs = sample_conv_net_forward_macs(model, first);
  const double batch = static_cast<double>(o.batch_size);
  const double forward_flop = 2 * example_macs * batch;
  // Backward: the weight gradients, and the input gradients of every layer but the first.
  const double backward_flop = 2 * (2 * example_macs - first) * batch;
  const double step_flop = forward_flop + backward_flop;
  const double peak = gemm_peak_gflops(kGemmSize);

  std::printf("\nprofile: median ms per step (share of the sum of phase medians)\n");
  std::printf("%-17s %16s %16s\n", "phase", "DP", "non-DP");
  double median_ms[2][kProfilePhaseCount] = {}, total[2] = {};
  const Timings* kinds[2] = {o.run_dp ? &dp : nullptr, o.run_plain ? &plain : nullptr};
  for (int k = 0; k < 2; ++k) {
    if (!kinds[k]) continue;
    for (std::size_t p = 0; p < kProfilePhaseCount; ++p) {
      median_ms[k][p] = bench::median(kinds[k]->profile[p]);
      total[k] += median_ms[k][p];
    }
  }
  for (std::size_t p = 0; p < kProfilePhaseCount; ++p) {
    char cells[2][32] = {"-", "-"};
    for (int k = 0; k < 2; ++k)
      if (kinds[k] && (k == 0 || p < 2 || p == kProfilePhaseCount - 1))
        std::snprintf(cells[k], sizeof cells[k], "%7.2f (%3.0f%%)", median_ms[k][p], 100.0 * median_ms[k][p] / total[k]);
    std::printf("%-17s %16s %16s\n", kProfilePhases[p], cells[0], cells[1]);
  }
  std::printf("model: %.3f GFLOP per step at batch %lld (forward %.3f, backward %.3f; from the layer shapes)\n",
              step_flop / 1e9, static_cast<long long>(o.batch_size), forward_flop / 1e9, backward_flop / 1e9);
  std::printf("GEMM peak: %.1f GFLOP/s (veil matmul, %lldx%lldx%lld float, %d threads, median of 5)\n", peak,
              static_cast<long long>(kGemmSize), static_cast<long long>(kGemmSize), static_cast<long long>(kGemmSize),
              num_threads());
  for (int k = 0; k < 2; ++k) {
    if (!kinds[k]) continue;
    const double step_ms = bench::median(kinds[k]->step);
    const double rate = step_flop / (step_ms * 1e6);
    std::printf("%-7s %.2f ms per step: %.1f GFLOP/s, %.0f%% of the GEMM peak\n", k == 0 ? "DP" : "non-DP", step_ms,
                rate, 100.0 * rate / peak);
  }
}

struct Summary {
  double total_s = 0, steps_per_s = 0, samples_per_s = 0, median_ms = 0;
  double phase_ms[kPhases] = {};
};

Summary summarise(const Timings& t, std::int64_t batch) {
  Summary s;
  for (double ms : t.step) s.total_s += ms / 1000.0;
  s.steps_per_s = static_cast<double>(t.step.size()) / s.total_s;
  s.samples_per_s = s.steps_per_s * static_cast<double>(batch);
  s.median_ms = bench::median(t.step);
  for (std::size_t p = 0; p < kPhases; ++p) s.phase_ms[p] = bench::median(t.phase[p]);
  return s;
}

// --cuda-graphs: the graphed kinds against the eager ones.
struct GraphComparison {
  Summary dp, plain;                             // graphed kinds
  double dp_ratio = NAN, plain_ratio = NAN;      // graphed / eager, median of per-round ratios
  double dp_over_plain = NAN;                    // graphed DP / graphed non-DP, the same way
  bool identical = false;                        // graphed parameters == eager ones, bit for bit
  std::int64_t replays = 0;
};

void write_json(const std::string& path, const Options& o, const Summary* dp, const Summary* plain, double ratio,
                const GraphComparison* graphs, const std::string& routes, const std::string& load_before,
                const std::string& load_after) {
  nlohmann::ordered_json line = {{"bench", "bench_train"},       {"model", "SampleConvNet"}, {"device", o.device_text},
                                 {"threads", num_threads()},      {"batch_size", o.batch_size},
                                 {"steps", o.steps},              {"round_steps", o.round_steps},
                                 {"sigma", kSigma},               {"max_grad_norm", kMaxGradNorm}};
  auto add_summary = [&](const std::string& prefix, const Summary& s, bool dp_phases) {
    line[prefix + "steps_per_s"] = s.steps_per_s;
    line[prefix + "samples_per_s"] = s.samples_per_s;
    line[prefix + "median_step_ms"] = s.median_ms;
    if (o.cuda_graphs) return;  // steps timed whole
    line[prefix + "forward_ms"] = s.phase_ms[kForward];
    line[prefix + "backward_ms"] = s.phase_ms[kBackward];
    if (dp_phases) line[prefix + "clip_ms"] = s.phase_ms[kClip];
    line[prefix + "update_ms"] = s.phase_ms[kUpdate];
  };
  if (dp) add_summary("dp_", *dp, true);
  if (plain) add_summary("non_dp_", *plain, false);
  if (dp && plain) line["dp_over_non_dp"] = ratio;
  if (dp) line["dp_routes"] = routes;
  line["cuda_graphs"] = graphs != nullptr;
  if (graphs) {
    if (dp) add_summary("dp_graphed_", graphs->dp, true);
    if (plain) add_summary("non_dp_graphed_", graphs->plain, false);
    if (dp) line["dp_graphed_over_eager"] = graphs->dp_ratio;
    if (plain) line["non_dp_graphed_over_eager"] = graphs->plain_ratio;
    if (dp && plain) line["dp_over_non_dp_graphed"] = graphs->dp_over_plain;
    line["graphed_matches_eager"] = graphs->identical;
    line["graph_replays"] = graphs->replays;
  }
  line["load_average_start"] = load_before;
  line["load_average_end"] = load_after;
  write_file_atomically(path, line.dump() + "\n", "results");
}

// The phase table of the eager kinds (steps split at phase boundaries).
void print_breakdown(const Options& o, const Summary& dp_summary, const Summary& plain_summary) {
  std::printf("\nbreakdown, median ms per step (share of the sum of phase medians)\n");
  std::printf("%-16s %16s %16s\n", "phase", "DP", "non-DP");
  double dp_total = 0, plain_total = 0;
  for (std::size_t p = 0; p < kPhases; ++p) {
    dp_total += dp_summary.phase_ms[p];
    plain_total += plain_summary.phase_ms[p];
  }
  for (std::size_t p = 0; p < kPhases; ++p) {
    char dp_cell[32] = "-", plain_cell[32] = "-";
    if (o.run_dp)
      std::snprintf(dp_cell, sizeof dp_cell, "%7.2f (%3.0f%%)", dp_summary.phase_ms[p],
                    100.0 * dp_summary.phase_ms[p] / dp_total);
    if (o.run_plain && p != kClip)
      std::snprintf(plain_cell, sizeof plain_cell, "%7.2f (%3.0f%%)", plain_summary.phase_ms[p],
                    100.0 * plain_summary.phase_ms[p] / plain_total);
    std::printf("%-16s %16s %16s\n", p == kUpdate && !o.run_dp ? "update" : kPhaseName[p], dp_cell, plain_cell);
  }
  if (o.run_plain) std::printf("(non-DP has no clipping; its update phase is SGD step + zero_grad, no noise)\n");
}

// Whether two trainers' parameters are equal bit for bit (read on the host, after timing).
bool same_parameters(Trainer& a, Trainer& b) {
  const auto pa = a.model().named_parameters(), pb = b.model().named_parameters();
  for (std::size_t k = 0; k < pa.size(); ++k)
    if (!(max_abs_diff(pa[k].second.detach().to(Device::cpu()), pb[k].second.detach().to(Device::cpu())) == 0.0))
      return false;
  return true;
}

int run(const Options& o) {
  const std::vector<Batch> data = synthetic_batches(o.batch_size, static_cast<std::uint64_t>(o.seed), o.device);
  Trainer dp_trainer(true, false, o), plain_trainer(false, false, o);
  std::unique_ptr<Trainer> dp_graphed, plain_graphed;
  if (o.cuda_graphs && o.run_dp) dp_graphed = std::make_unique<Trainer>(true, true, o);
  if (o.cuda_graphs && o.run_plain) plain_graphed = std::make_unique<Trainer>(false, true, o);
  const std::int64_t rounds = (o.steps + o.round_steps - 1) / o.round_steps;
  std::printf("bench_train: SampleConvNet, synthetic [%lld,1,28,28] batches, threads %d, %lld timed steps of each "
              "kind in %lld rounds of <= %lld (+%lld warm-up)\n",
              static_cast<long long>(o.batch_size), num_threads(), static_cast<long long>(o.steps),
              static_cast<long long>(rounds), static_cast<long long>(o.round_steps), static_cast<long long>(o.warmup));
  if (o.device.is_cuda()) std::printf("device: %s (model, batches and every step on the GPU)\n", o.device_text.c_str());
  const std::string load_before = bench::load_average();
  std::printf("DP: Auto routes, sigma %g, C %g, SGD lr %g; non-DP: SGD lr %g; both mean cross-entropy; "
              "load average %s\n",
              kSigma, kMaxGradNorm, kLr, kLr, load_before.c_str());
  if (o.cuda_graphs)
    std::printf("CUDA graphs: each kind also runs graphed (forward, loss, backward and clipping recorded once, then "
                "replayed; noise and update eager)%s; every step is timed whole\n",
                o.device.is_cuda() ? "" : ", which on the CPU runs the same step directly");
  std::fflush(stdout);

  if (o.profile) set_phase_listener(record_phase_mark);
  std::int64_t dp_step = 0, plain_step = 0, dp_graphed_step = 0, plain_graphed_step = 0;
  for (std::int64_t i = 0; i < o.warmup; ++i) {
    if (o.run_dp) dp_trainer.step(data[dp_step++ % kDataBatches]);
    if (o.run_plain) plain_trainer.step(data[plain_step++ % kDataBatches]);
    if (dp_graphed) dp_graphed->step(data[dp_graphed_step++ % kDataBatches]);
    if (plain_graphed) plain_graphed->step(data[plain_graphed_step++ % kDataBatches]);
  }
  Timings dp, plain, dp_g, plain_g;
  bench::Progress progress("bench_train");
  auto run_round = [&](Trainer& trainer, Timings& t, std::int64_t& step, std::int64_t count) {
    std::vector<double> in_round;
    for (std::int64_t k = 0; k < count; ++k) {
      double phases[kPhases], profile[kProfilePhaseCount];
      const bool split = !o.cuda_graphs;  // graphed steps have no phases: time all whole then
      const double ms =
          trainer.step(data[step++ % kDataBatches], split ? phases : nullptr, o.profile ? profile : nullptr);
      t.step.push_back(ms);
      in_round.push_back(ms);
      if (split)
        for (std::size_t p = 0; p < kPhases; ++p) t.phase[p].push_back(phases[p]);
      if (o.profile)
        for (std::size_t p = 0; p < kProfilePhaseCount; ++p) t.profile[p].push_back(profile[p]);
    }
    t.round_median.push_back(bench::median(in_round));
  };
  for (std::int64_t r = 0; r < rounds; ++r) {
    progress.update("round " + std::to_string(r + 1) + "/" + std::to_string(rounds));
    const std::int64_t count = std::min(o.round_steps, o.steps - r * o.round_steps);
    if (o.run_dp) run_round(dp_trainer, dp, dp_step, count);
    if (o.run_plain) run_round(plain_trainer, plain, plain_step, count);
    if (dp_graphed) run_round(*dp_graphed, dp_g, dp_graphed_step, count);
    if (plain_graphed) run_round(*plain_graphed, plain_g, plain_graphed_step, count);
  }
  progress.finish();

  Summary dp_summary, plain_summary;
  if (o.run_dp) dp_summary = summarise(dp, o.batch_size);
  if (o.run_plain) plain_summary = summarise(plain, o.batch_size);
  const double ratio = o.run_dp && o.run_plain ? bench::median_ratio(dp.round_median, plain.round_median) : NAN;

  std::printf("\n%-14s %9s %11s %15s %12s\n", "kind", "steps/s", "samples/s", "median step ms", "last loss");
  if (o.run_dp)
    std::printf("%-14s %9.2f %11.0f %15.2f %12.4f\n", "DP", dp_summary.steps_per_s, dp_summary.samples_per_s,
                dp_summary.median_ms, dp_trainer.last_loss());
  if (o.run_plain)
    std::printf("%-14s %9.2f %11.0f %15.2f %12.4f\n", "non-DP", plain_summary.steps_per_s, plain_summary.samples_per_s,
                plain_summary.median_ms, plain_trainer.last_loss());
  GraphComparison graphs;
  if (o.cuda_graphs) {
    if (dp_graphed) {
      graphs.dp = summarise(dp_g, o.batch_size);
      graphs.dp_ratio = bench::median_ratio(dp_g.round_median, dp.round_median);
      std::printf("%-14s %9.2f %11.0f %15.2f %12.4f\n", "DP graphed", graphs.dp.steps_per_s, graphs.dp.samples_per_s,
                  graphs.dp.median_ms, dp_graphed->last_loss());
    }
    if (plain_graphed) {
      graphs.plain = summarise(plain_g, o.batch_size);
      graphs.plain_ratio = bench::median_ratio(plain_g.round_median, plain.round_median);
      std::printf("%-14s %9.2f %11.0f %15.2f %12.4f\n", "non-DP graphed", graphs.plain.steps_per_s, graphs.plain.samples_per_s,
                  graphs.plain.median_ms, plain_graphed->last_loss());
    }
    if (dp_graphed && plain_graphed)
      graphs.dp_over_plain = bench::median_ratio(dp_g.round_median, plain_g.round_median);
  }
  if (o.run_dp && o.run_plain)
    std::printf("DP/non-DP step time: %.2fx (median of %lld per-round ratios); %.2fx from the overall medians\n", ratio,
                static_cast<long long>(rounds), dp_summary.median_ms / plain_summary.median_ms);
  if (o.cuda_graphs) {
    graphs.identical = (!dp_graphed || same_parameters(dp_trainer, *dp_graphed)) &&
                       (!plain_graphed || same_parameters(plain_trainer, *plain_graphed));
    graphs.replays = (dp_graphed ? dp_graphed->replays() : 0) + (plain_graphed ? plain_graphed->replays() : 0);
    std::printf("CUDA graphs, graphed/eager step time (median of per-round ratios):");
    if (dp_graphed) std::printf(" DP %.2fx", graphs.dp_ratio);
    if (plain_graphed) std::printf(" non-DP %.2fx", graphs.plain_ratio);
    if (dp_graphed && plain_graphed) std::printf("; graphed DP/non-DP %.2fx", graphs.dp_over_plain);
    std::printf("\n%lld graph replays; after %lld steps the graphed parameters %s the eager ones bit for bit\n",
                static_cast<long long>(graphs.replays), static_cast<long long>(o.warmup + o.steps),
                graphs.identical ? "equal" : "DIFFER FROM");
  }

  if (!o.cuda_graphs) print_breakdown(o, dp_summary, plain_summary);
  if (o.run_dp) std::printf("DP routes (Auto): %s\n", dp_trainer.routes().c_str());
  if (o.profile) {
    set_phase_listener(nullptr);
    print_profile(o, dp_trainer.model(), dp, plain);
  }
  const std::string load_after = bench::load_average();
  std::printf("load average at the end: %s\n", load_after.c_str());
  if (!o.json.empty())
    write_json(o.json, o, o.run_dp ? &dp_summary : nullptr, o.run_plain ? &plain_summary : nullptr, ratio,
               o.cuda_graphs ? &graphs : nullptr, dp_trainer.routes(), load_before, load_after);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run<Options>("bench_train", argc, argv, add_options, read_options, run);
}
