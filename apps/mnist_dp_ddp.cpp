// mnist_dp_ddp: trains SampleConvNet on MNIST (or Fashion-MNIST) with DP-SGD,
// mirroring the Opacus distributed MNIST tutorial, and logs one line per
// epoch with train loss, accuracies and epsilon. Alone it is one worker;
// under mpirun or srun each process is one worker of a data-parallel run
// (rank 0 prints and writes files). See --help.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/ddp_chapters.h"
#include "support/rank_main.h"
#include "support/step_records.h"
#include "support/training_options.h"
#include "veil/autograd/grad_mode.h"
#include "veil/core/file_io.h"
#include "veil/core/graphed_step.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_runtime.h"
#include "veil/core/parallel.h"
#include "veil/data/data_loader.h"
#include "veil/data/dataset_locator.h"
#include "veil/distributed/launch.h"
#include "veil/distributed/make_private.h"
#include "veil/data/mnist_files.h"
#include "veil/data/scattering2d.h"
#include "veil/layers/losses.h"
#include "veil/layers/safetensors.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/layers/scatter_linear.h"
#include "veil/layers/serialization.h"
#include "veil/layers/tanh_cnn.h"
#include "veil/optim/weight_average.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/privacy_engine.h"
#include "veil/privacy/training_checkpoint.h"

using namespace veil;

namespace {

// MNIST's pixel statistics, as the tutorial's Normalize((0.1307,), (0.3081,)).
constexpr double kMean = 0.1307, kStd = 0.3081;
// --cuda-graphs keeps a graph for this many batch sizes: Poisson batches of
// 200 take about 80 sizes, most of them rarely; a fixed batch needs two (the
// epoch's last batch is smaller).
constexpr std::size_t kGraphsKept = 16;
using Config = cli::TrainingOptions;

std::unique_ptr<Optimizer> make_optimizer(const Config& c, Module& model) {
  if (c.optimizer == "adam") return std::make_unique<Adam>(model.parameters(), AdamOptions{c.lr});
  return std::make_unique<SGD>(model.parameters(), SGDOptions{c.lr, c.momentum});
}

// Tramer & Boneh's scattering: J = 2, L = 8 (81 channels of 7 x 7).
const data::Scattering2d& mnist_scattering() {
  static const data::Scattering2d scattering(28, 28, {.J = 2, .L = 8});
  return scattering;
}

std::unique_ptr<Module> make_model(const Config& c) {
  if (c.model == "tanh-cnn") return std::make_unique<TanhCnn>(TanhCnnOptions{c.width, c.groups}, c.seed);
  if (c.model == "scatter-linear") {
    const data::Scattering2d& s = mnist_scattering();
    return std::make_unique<ScatterLinear>(
        ScatterLinearOptions{s.channels(), s.out_height(), s.out_width(), c.groups, 10}, c.seed);
  }
  return std::make_unique<SampleConvNet>(c.seed);
}

// Each worker scores the test batches s with s % W == rank; the counts are summed.
// Batches of the training batch size: a step's memory then serves them, where
// larger ones would raise the process's peak (batches of 1000 gave the same
// accuracies, bit for bit, and 60 MB more). With a weight average, the
// averaged weights are scored. The count stays on the device until every
// batch is scored (Note [Reads at check points]).
double test_accuracy(Module& model, WeightAverage* average, const data::TensorDataset& test, std::int64_t batch_size,
                     distributed::ProcessGroup& group, Device device) {
  if (average) average->swap();
  NoGradGuard no_grad;
  model.eval();
  data::DataLoader loader(std::make_shared<data::TensorDataset>(test), batch_size, false, false, 0);
  Tensor correct = Tensor::zeros({}, DType::Float64, device);
  for (std::int64_t s = group.rank(); s < loader.steps_per_epoch(); s += group.size()) {
    const data::Batch b = test.gather(loader.indices(s));
    correct.add_(cli::count_correct(model(b.inputs.to(device)), b.targets.to(device)));
  }
  model.train();
  if (average) average->swap();
  std::int64_t total = 0;
  for (std::int64_t n : group.all_gather(static_cast<std::int64_t>(std::llround(correct.item())))) total += n;
  return static_cast<double>(total) / static_cast<double>(test.size());
}

struct EpochFigures {
  std::int64_t epoch;
  double train_loss, train_accuracy, test_accuracy, epsilon, seconds;
  std::int64_t steps;
};

void write_json(const std::string& path, const Config& c, const std::string& dataset, double sigma, int workers,
                const std::vector<EpochFigures>& epochs) {
  // In this order, as it has always been written: ordered_json keeps it.
  nlohmann::ordered_json summary = {{"app", "mnist_dp_ddp"}, {"dataset", dataset},      {"dp", c.dp()},
                                    {"batch_size", c.batch_size}, {"lr", c.lr},          {"sigma", sigma},
                                    {"max_grad_norm", c.max_grad_norm}, {"delta", c.delta}, {"accountant", c.accountant},
                                    {"secure", c.secure}};
  if (!c.secure) summary["seed"] = c.seed;  // secure mode writes no seed anywhere
  summary["threads"] = num_threads();
  summary["workers"] = workers;
  summary["recipe"] = c.recipe;
  summary["model"] = c.model;
  summary["width"] = c.width;
  summary["groups"] = c.groups;
  summary["ema_decay"] = c.ema_decay;
  summary["train_metrics"] =
      "train_loss and train_accuracy are computed on the private training data without DP; epsilon does not cover them";
  nlohmann::ordered_json& rows = summary["epochs"] = nlohmann::ordered_json::array();
  for (const EpochFigures& e : epochs) {
    // JSON has no infinity: "inf" (a string, which float() reads) rather than
    // the null nlohmann would write, so that no reader mistakes "no
    // guarantee" for "missing" or zero. Finite epsilons are written exactly
    // (shortest round-trip form): rounding could fall below the bound.
    const nlohmann::ordered_json epsilon = std::isfinite(e.epsilon) ? nlohmann::ordered_json(e.epsilon) : "inf";
    rows.push_back({{"epoch", e.epoch},
                    {"steps", e.steps},
                    {"train_loss", e.train_loss},
                    {"train_accuracy", e.train_accuracy},
                    {"test_accuracy", e.test_accuracy},
                    {"epsilon", epsilon},
                    {"seconds", e.seconds}});
  }
  write_file_atomically(path, summary.dump() + "\n", "summary");
}

// The run's state (Note [Saved training state]) plus this app's settings
// that a resume must repeat.
Checkpoint make_checkpoint(Module& model, const TrainingState& state, std::int64_t epoch, const Config& c) {
  Checkpoint ck;
  for (auto& [name, t] : model.state_dict()) ck.tensors["model." + name] = t;
  store_training_state(ck, state);
  ck.fields["epoch"] = std::to_string(epoch);
  ck.fields["secure"] = c.secure ? "1" : "0";
  if (!c.secure) ck.fields["seed"] = std::to_string(c.seed);
  ck.fields["batch_size"] = std::to_string(c.batch_size);
  ck.fields["dp"] = c.dp() ? "1" : "0";
  return ck;
}

// A field of a checkpoint this app wrote; anything else is named, not a bare map::at.
const std::string& checkpoint_field(const Checkpoint& ck, const std::string& path, const std::string& name) {
  auto it = ck.fields.find(name);
  if (it == ck.fields.end())
    throw Error("checkpoint " + path + " was not written by mnist_dp_ddp: it lacks the field '" + name + "'");
  return it->second;
}

// SampleConvNet takes MNIST's 28x28 images: other ones would fail deep in the
// model, naming no file.
data::TensorDataset load_split(const std::filesystem::path& directory, data::Split split) {
  data::TensorDataset loaded = data::load_image_dataset(directory, split, kMean, kStd);
  const Tensor& images = loaded.inputs();  // [N, 1, rows, cols]
  if (images.size(2) != 28 || images.size(3) != 28)
    throw Error(data::find_idx_file(directory, data::mnist_images_name(split))->string() + " holds images of " +
                std::to_string(images.size(2)) + " x " + std::to_string(images.size(3)) +
                " pixels; the model takes MNIST's 28 x 28");
  return loaded;
}

// Everything that can fail at the end of an epoch is tried before the first:
// the step count of the whole run, and the accountant's epsilon for it.
void check_epsilon_computable(const Config& c, double sigma, double sample_rate, std::int64_t steps_per_epoch) {
  std::int64_t steps = 0;
  if (__builtin_mul_overflow(c.epochs, steps_per_epoch, &steps))
    throw cli::UsageError("--epochs " + std::to_string(c.epochs) + " makes more steps than a step count can hold");
  if (c.max_steps > 0) steps = std::min(steps, c.max_steps);
  double epsilon = NAN;
  try {
    auto accountant = privacy::make_accountant(c.accountant);
    accountant->step(sigma, sample_rate, steps);
    epsilon = accountant->get_epsilon(c.delta).epsilon;
  } catch (const Error&) {
  }
  // sigma 0 gives epsilon infinity, a known answer; no answer is not one.
  std::ostringstream shown;
  shown << sigma;
  if (std::isnan(epsilon))
    throw cli::UsageError("--sigma " + shown.str() + ": the accountant cannot compute epsilon for " +
                          std::to_string(steps) + " steps at this noise; use a larger --sigma");
}

// Every rank gathers the same verdicts at a check point (Note [Reads at
// check points]) and throws the same error, naming the earliest step that
// diverged and at that step the lowest rank: a diverged run would go on
// logging nan and saving it.
void stop_if_diverged(const std::vector<cli::Divergence>& by_rank, std::int64_t epoch) {
  std::size_t first = by_rank.size();
  for (std::size_t rank = 0; rank < by_rank.size(); ++rank)
    if (by_rank[rank].step >= 0 && (first == by_rank.size() || by_rank[rank].step < by_rank[first].step)) first = rank;
  if (first == by_rank.size()) return;
  throw cli::CollectiveError("the training loss became " + std::to_string(by_rank[first].loss) +
                             (by_rank.size() > 1 ? " on rank " + std::to_string(first) : "") + " at step " +
                             std::to_string(by_rank[first].step) + " (epoch " + std::to_string(epoch) +
                             "): the run diverged; lower --lr");
}

int train(const Config& c, distributed::ProcessGroup& group) {
  group.set_timeout(c.timeout);
  // Ranks on one node share its cores (num_threads() is all of them, or OMP_NUM_THREADS).
  if (c.threads > 0) set_num_threads(static_cast<int>(c.threads));
  else if (group.local_size() > 1) set_num_threads(std::max(1, num_threads() / group.local_size()));
  if (group.rank() != 0) std::cout.rdbuf(nullptr);  // rank 0 speaks for all

  const data::DatasetLocation where = data::locate_dataset(c.data);
  std::cout << "Loading " << where.name << " from " << where.directory.string() << " (found by " << where.found_by
            << ")" << std::endl;
  const auto load_start = std::chrono::steady_clock::now();
  auto train = std::make_shared<data::TensorDataset>(load_split(where.directory, data::Split::Train));
  data::TensorDataset test = load_split(where.directory, data::Split::Test);
  const auto seconds_since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  char loaded[128];
  std::snprintf(loaded, sizeof(loaded), "  read and prepared in %.3f s", seconds_since(load_start));
  std::cout << loaded << std::endl;
  // The scattering has no parameters: its features are computed once, here,
  // and stored as float32 (4 bytes x 81 x 7 x 7 per image, 1.1 GB for MNIST).
  if (c.model == "scatter-linear") {
    const auto start = std::chrono::steady_clock::now();
    const data::Scattering2d& s = mnist_scattering();
    train = std::make_shared<data::TensorDataset>(data::scattering_features(*train, s));
    test = data::scattering_features(test, s);
    std::snprintf(loaded, sizeof(loaded), "  scattering features (J 2, L 8): %lld x %lld x %lld per image in %.3f s",
                  static_cast<long long>(s.channels()), static_cast<long long>(s.out_height()),
                  static_cast<long long>(s.out_width()), seconds_since(start));
    std::cout << loaded << std::endl;
  }

  // A Poisson sample rate above 1 means nothing: the whole set is one batch.
  if (c.batch_size > train->size())
    throw cli::UsageError("--batch-size " + std::to_string(c.batch_size) + " is larger than the training set (" +
                          std::to_string(train->size()) + " examples in " + where.directory.string() + ")");
  data::DataLoader loader(train, c.batch_size, /*shuffle=*/true, /*drop_last=*/false, c.seed);
  if (c.show_loaders) {
    show_loaders(std::cout, loader, group.size() > 1 ? group.size() : 2);
    return 0;
  }
  const std::unique_ptr<Module> net = make_model(c);
  Module& model = *net;
  // One GPU per worker; the NCCL group (run) chose the same one.
  const Device device = c.device == "cuda" ? Device::cuda(distributed::gpu_for_local_rank(
                                                 group.local_rank(), group.local_size(), cuda_device_count()))
                                           : Device::cpu();
  model.to(device);
  distributed::DPDDP ddp(model, group);  // rank 0's initial weights everywhere
  if (c.sync_demo) return sync_demo(ddp, loader, c.lr, c.seed);
  std::cout << "Model: " << model.to_string() << "\n  parameters: " << model.num_parameters() << "\n";
  std::unique_ptr<Optimizer> optimizer = make_optimizer(c, model);
  std::cout << "Optimizer: " << optimizer->describe() << "\nLoader: " << loader.describe() << " (" << train->size()
            << " train / " << test.size() << " test examples)\n";
  std::cout << "World size: " << group.size() << " worker(s) (" << group.backend() << " process group)\nThreads: "
            << num_threads() << " per worker" << std::endl;

  PrivacyEngine engine(c.accountant, c.secure);
  PrivateTraining priv;
  Optimizer* plain = nullptr;
  data::BatchSource* source = &loader;
  double sigma = c.sigma;
  if (c.dp()) {
    priv = c.target_epsilon > 0
               ? distributed::make_private_with_epsilon(engine, ddp, std::move(optimizer), loader, c.target_epsilon,
                                                        c.delta, c.epochs, c.max_grad_norm, {.seed = c.seed})
               : distributed::make_private(engine, ddp, std::move(optimizer), loader, c.sigma, c.max_grad_norm,
                                           {.seed = c.seed});
    sigma = priv.optimizer->options().noise_multiplier;
    source = priv.loader.get();
    if (group.rank() == 0)
      for (const std::string& warning : priv.warnings) std::cerr << "mnist_dp_ddp: warning: " << warning << std::endl;
    std::cout << "Private optimizer: " << priv.optimizer->describe() << "\nPrivate loader: " << priv.loader->describe()
              << "\n  average batch size per worker: " << priv.loader->expected_batch_size() / group.size() << " ("
              << group.size() << (group.size() > 1 ? " workers)" : " worker)")
              << "\nAccountant: " << c.accountant << " computes the epsilon in the log ("
              << (c.accountant == "gdp" ? "an approximation, not a guarantee" : "a certified upper bound") << ", delta "
              << c.delta << ")" << std::endl;
    if (c.secure)
      std::cout << "Secure mode: sampling and noise come from the OS and are not reproducible; no seed is stored"
                << std::endl;
    else
      std::cout << "Note: sampling and noise are reproducible from --seed " << c.seed
                << ", so whoever knows it can remove the noise; train on real private data only with --secure"
                << std::endl;
  } else {
    plain = optimizer.get();
    std::cout << "DP off (--no-dp): plain " << plain->describe() << ", shuffled fixed-size batches" << std::endl;
  }
  Optimizer& inner = c.dp() ? priv.optimizer->optimizer() : *plain;
  std::unique_ptr<WeightAverage> average;
  if (c.ema_decay > 0) {
    average = std::make_unique<WeightAverage>(model.parameters(), c.ema_decay);
    std::cout << "Weight average: decay " << c.ema_decay
              << ", evaluated and saved in place of the last weights (post-processing, no privacy cost)" << std::endl;
  }

  std::int64_t first_epoch = 0, global_step = 0;
  if (!c.resume.empty()) {
    const Checkpoint ck = load_checkpoint(c.resume);
    const auto field = [&](const std::string& name) -> const std::string& { return checkpoint_field(ck, c.resume, name); };
    for (const char* name : {"epoch", "dp", "secure", "batch_size", "optimizer"}) field(name);
    const auto malformed = [&](const std::string& name) {
      return Error("checkpoint " + c.resume + " has a malformed field '" + name + "': '" + field(name) + "'");
    };
    // Written as "0" or "1": any other text was not written by this app.
    const auto flag = [&](const std::string& name) {
      if (field(name) != "0" && field(name) != "1") throw malformed(name);
      return field(name) == "1";
    };
    // Another optimizer's state would be dropped or misread.
    if (field("optimizer") != inner.kind())
      throw Error("checkpoint " + c.resume + " was written with --optimizer " + field("optimizer") + ", not " +
                  inner.kind());
    if (flag("dp") != c.dp())
      throw Error("checkpoint " + c.resume + " was written with" + (c.dp() ? "out" : "") + " DP; resume with the same mode");
    // A secure run continued with a seed would become reproducible from
    // there on; a seeded run continued in secure mode would be neither one.
    if (flag("secure") && !c.secure)
      throw Error("checkpoint " + c.resume + " was written in secure mode; resume it with --secure");
    if (!flag("secure") && c.secure)
      throw Error("checkpoint " + c.resume + " was written with reproducible sampling and noise (--seed); resume it "
                  "without --secure, or start a new run with --secure");
    // Sampling and noise are keyed by (seed, step) and the sample rate by the
    // batch size: a resume with other values would not continue the same run.
    // A secure resume draws a fresh OS key, as every secure run does.
    if (!c.secure && field("seed") != std::to_string(c.seed))
      throw Error("checkpoint " + c.resume + " was written with --seed " + field("seed") + ", not " +
                  std::to_string(c.seed));
    if (field("batch_size") != std::to_string(c.batch_size))
      throw Error("checkpoint " + c.resume + " was written with --batch-size " + field("batch_size") + ", not " +
                  std::to_string(c.batch_size));
    const TrainingState saved = read_training_state(ck, c.resume, inner, c.dp());
    StateDict state;
    for (auto& [name, t] : ck.tensors) {
      if (name.rfind("model.", 0) == 0) state[name.substr(6)] = t;
      else if (name.rfind("optimizer.", 0) != 0)
        throw Error("checkpoint " + c.resume + " holds tensors that are neither this model's nor its optimizer's");
    }
    try {
      model.load_state_dict(state);
      if (c.dp()) priv.optimizer->load_state(saved);
      else inner.load_state(saved.optimizer);
    } catch (const Error& error) {
      throw Error("checkpoint " + c.resume + " does not fit this model and optimizer: " + error.what());
    }
    std::int64_t epoch = -1;
    const std::string& epoch_text = field("epoch");
    const auto [end, ec] = std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
    if (ec != std::errc() || end != epoch_text.data() + epoch_text.size() || epoch < 0) throw malformed("epoch");
    global_step = saved.steps;
    // A run stops at or before the end of the epoch it saves, so a larger
    // step count (or an epoch whose end overflows) was not written by a run.
    std::int64_t epoch_end = 0;
    if (epoch == INT64_MAX || __builtin_mul_overflow(epoch + 1, source->steps_per_epoch(), &epoch_end) ||
        global_step > epoch_end)
      throw Error("checkpoint " + c.resume + " is inconsistent: its global_step " + std::to_string(global_step) +
                  " does not lie in its epoch " + std::to_string(epoch));
    first_epoch = epoch + 1;
    ddp.check_in_sync();  // every rank read the same checkpoint
    std::cout << "Resumed from " << c.resume << " at epoch " << first_epoch << ", step " << global_step << std::endl;
    if (first_epoch >= c.epochs)
      std::cout << "The checkpoint already holds all " << c.epochs << " epochs: nothing to train (raise --epochs)"
                << std::endl;
  }

  if (c.dp()) check_epsilon_computable(c, sigma, priv.loader->sample_rate(), source->steps_per_epoch());

  // mpirun gives every rank a terminal: only a lone process can tell a real one.
  const bool show_progress = group.size() == 1 && isatty(STDOUT_FILENO);
  std::vector<EpochFigures> figures;
  bool stop = false, said_infinite = false;
  cli::StepRecords records(cli::kCheckEvery, device, c.dp());
  // --cuda-graphs: forward, loss, backward and clipping replayed as a CUDA
  // graph per batch size (Note [Captured steps], core/graphed_step.h).
  GraphedStep graphed(
      [&](const std::vector<Tensor>& in) -> GraphedStep::Result {
        Tensor logits = model(in[0]);
        Tensor loss = cross_entropy(logits, in[1]);
        loss.backward();
        if (c.dp()) {
          priv.optimizer->accumulate_microbatch();
          return {{loss, logits}, [&, pending = priv.optimizer->pending_record()] {
                    priv.optimizer->restore_pending(pending);
                  }};
        }
        return {{loss, logits}, GraphedStep::restore_grads(model.parameters())};
      },
      kGraphsKept);
  for (std::int64_t epoch = first_epoch; epoch < c.epochs && !stop; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t steps = source->steps_per_epoch();
    std::int64_t end = 0;
    if (__builtin_add_overflow(global_step, steps, &end))
      throw Error("--epochs " + std::to_string(c.epochs) + " makes more steps than a step count can hold");
    if (c.max_steps >= 0 && end > c.max_steps) {
      end = std::max(global_step, c.max_steps);
      stop = true;
    }
    cli::TrainTally tally;
    const std::int64_t epoch_start = global_step;
    source->for_each_batch(global_step, end, [&](std::int64_t step, const data::Batch& batch) {
      const Tensor inputs = batch.inputs.to(device), targets = batch.targets.to(device);
      Tensor logits, loss;
      if (c.cuda_graphs) {
        const std::vector<Tensor> out = graphed.run({inputs, targets});
        loss = out[0];
        logits = out[1];
      } else {
        logits = model(inputs);
        loss = cross_entropy(logits, targets);
        loss.backward();
      }
      if (c.dp()) {
        priv.optimizer->step();
      } else {
        plain->step();
        plain->zero_grad();
      }
      if (average) average->update();
      // Under DP, clipping drops examples with a non-finite gradient; the
      // run has diverged when it drops all of a batch.
      records.record(step, batch.size(), loss, logits, targets,
                     c.dp() ? priv.optimizer->last_clipping().non_finite : Tensor());
      if (records.full() || step + 1 == end) {  // a check point
        stop_if_diverged(group.all_gather(records.read(tally)), epoch);
        if (show_progress)
          std::cout << "\r  epoch " << epoch << ": step " << (step - epoch_start + 1) << "/" << (end - epoch_start)
                    << std::flush;
      }
    }, device);
    if (show_progress) std::cout << "\r" << std::string(40, ' ') << "\r";
    global_step = end;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Train figures over every worker's examples.
    cli::TrainTally all;
    for (const cli::TrainTally& k : group.all_gather(tally)) {
      all.loss_sum += k.loss_sum, all.loss_examples += k.loss_examples;
      all.seen += k.seen, all.correct += k.correct, all.non_finite += k.non_finite;
    }
    EpochFigures f{epoch, all.loss_examples ? all.loss_sum / all.loss_examples : 0.0,
                   all.seen ? static_cast<double>(all.correct) / all.seen : 0.0,
                   test_accuracy(model, average.get(), test, c.batch_size, group, device),
                   c.dp() ? engine.get_epsilon(c.delta).epsilon : INFINITY, seconds,
                   end - epoch_start};
    figures.push_back(f);
    char line[256];
    std::snprintf(line, sizeof(line), "Epoch: %lld | Train Loss: %.4f | Train Accuracy: %.2f | Test Accuracy: %.2f | ",
                  static_cast<long long>(epoch), f.train_loss, f.train_accuracy, f.test_accuracy);
    std::cout << line;
    // Rounded up, not to nearest: a printed epsilon must stay an upper bound.
    char privacy[64] = "(no DP)";
    if (c.dp() && std::isfinite(f.epsilon))
      std::snprintf(privacy, sizeof(privacy), "(ε = %.2f)", std::ceil(f.epsilon * 100) / 100);
    else if (c.dp()) std::snprintf(privacy, sizeof(privacy), "(ε = inf)");
    std::snprintf(line, sizeof(line), " | %.2f s", seconds);
    std::cout << privacy << line << std::endl;
    if (c.dp() && !std::isfinite(f.epsilon) && !said_infinite) {
      std::cout << "note: a step ran without noise (sigma 0), so no finite epsilon bounds this run, now or after"
                << std::endl;
      said_infinite = true;
    }
    if (c.dp()) {
      // Examples whose gradient was NaN or inf contributed nothing (clipping's
      // default). Summed over the workers; a count from the private data.
      if (all.non_finite > 0)
        std::cout << "note: " << all.non_finite << " example(s) had a non-finite gradient and "
                  << "contributed nothing this epoch; this count is computed from the private data without noise "
                  << "and is not covered by the privacy guarantee" << std::endl;
    }
    ddp.check_in_sync();  // the replicas must not have drifted apart
    if (group.rank() != 0) continue;  // one copy of every file
    if (!c.checkpoint.empty()) {
      const TrainingState state =
          c.dp() ? priv.optimizer->state() : TrainingState{inner.kind(), inner.state(), global_step, std::nullopt};
      save_checkpoint(c.checkpoint, make_checkpoint(model, state, epoch, c));
    }
    if (!c.json.empty()) write_json(c.json, c, where.name, c.dp() ? sigma : 0.0, group.size(), figures);
    if (!c.save_model.empty()) {
      if (average) average->swap();
      save_safetensors(c.save_model, model.state_dict(), {{"format", "pt"}});
      if (average) average->swap();
    }
  }
  return 0;
}

// A GPU run of several workers sums its gradients on the GPUs over NCCL, one
// GPU per worker; the launcher's MPI group starts it and carries NCCL's id.
int run(const Config& c, distributed::ProcessGroup& launched) {
  if (!c.dp() && launched.size() > 1)
    throw cli::UsageError("--no-dp trains in one process; start it without mpirun or srun");
  if (c.device != "cuda" || launched.size() == 1) return train(c, launched);
  const std::unique_ptr<distributed::ProcessGroup> gpus = distributed::gpu_process_group(launched, c.timeout);
  return train(c, *gpus);
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run_ranks<veil::cli::TrainingOptions>("mnist_dp_ddp", argc, argv, veil::cli::add_training_options,
                                                                    veil::cli::check_training_options, run);
}
