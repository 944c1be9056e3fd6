// The mnist_dp_ddp app, run as a separate process on a small synthetic data
// set in MNIST's IDX format (200 train / 50 test 28x28 images whose label is
// the quadrant holding a bright square): flags and their errors, the epoch
// log lines and the --json summary, checkpoint/resume equal to an
// uninterrupted run, corrupted checkpoints, and --target-epsilon.
//
// The binary is found beside this test's own executable (both in build/bin).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_data.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/safetensors.h"
#include "veil/layers/serialization.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/privacy/privacy_engine.h"

using namespace veil;
namespace fs = std::filesystem;

using veil::testing::quote;
using veil::testing::read_text;

namespace {

fs::path app_path() {
  const fs::path app = fs::read_symlink("/proc/self/exe").parent_path() / "mnist_dp_ddp";
  INFO("looked for the app at " << app << " (build the mnist_dp_ddp target)");
  REQUIRE(fs::exists(app));
  return app;
}

struct AppRun {
  int status = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const AppRun& r) {
  return os << "exit status " << r.status << "\n--- stdout ---\n" << r.out << "--- stderr ---\n" << r.err;
}

// Runs the app with `args` (already shell-quoted where needed), stdout and
// stderr captured in files under `dir`.
AppRun run_app(const std::string& args, const fs::path& dir) {
  static int counter = 0;
  const fs::path out = dir / ("stdout." + std::to_string(counter)), err = dir / ("stderr." + std::to_string(counter));
  ++counter;
  const std::string command =
      quote(app_path().string()) + " " + args + " > " + quote(out.string()) + " 2> " + quote(err.string()) + " < /dev/null";
  const int raw = std::system(command.c_str());
  AppRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

std::int64_t count_lines(const std::string& s) {
  std::int64_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// The learnable synthetic set: a bright 8x8 square in quadrant `label` (0-3)
// of a dim noisy background, at a position jittered per image.
void write_quadrant_mnist(const fs::path& dir, std::size_t train, std::size_t test) {
  fs::create_directories(dir);
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 24;
  };
  auto write_split = [&](const std::string& prefix, std::size_t count) {
    std::vector<std::uint8_t> images(count * 784), labels(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t label = (i * 7 + i / 4) % 4;
      labels[i] = static_cast<std::uint8_t>(label);
      for (std::size_t j = 0; j < 784; ++j) images[i * 784 + j] = static_cast<std::uint8_t>(next() % 60);
      const std::size_t y0 = (label / 2) * 14 + 1 + next() % 5, x0 = (label % 2) * 14 + 1 + next() % 5;
      for (std::size_t y = y0; y < y0 + 8; ++y)
        for (std::size_t x = x0; x < x0 + 8; ++x) images[i * 784 + y * 28 + x] = 255;
    }
    const auto n = static_cast<std::uint32_t>(count);
    testing::write_file(dir / (prefix + "-images-idx3-ubyte"), testing::idx_bytes({n, 28, 28}, images));
    testing::write_file(dir / (prefix + "-labels-idx1-ubyte"), testing::idx_bytes({n}, labels));
  };
  write_split("train", train);
  write_split("t10k", test);
}

// The shared fixture: one data directory for every test in this file.
struct Fixture {
  testing::TempDir tmp;
  fs::path data = tmp.path() / "quadrants";
  Fixture() { write_quadrant_mnist(data, 200, 50); }
  std::string base_args() const { return "--data " + quote(data.string()) + " --threads 1"; }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// ---- the --json summary ---------------------------------------------------

// The text of number `key` (a JSON number or null) in `object`.
std::string json_value(const std::string& object, const std::string& key) {
  const std::regex re("\"" + key + "\":(null|-?[0-9][0-9.eE+-]*|true|false|\"inf\")");
  std::smatch m;
  INFO("key " << key << " in " << object);
  REQUIRE(std::regex_search(object, m, re));
  return m[1];
}

struct Summary {
  std::string top;                   // everything before "epochs"
  std::vector<std::string> epochs;   // one JSON object per epoch
};

Summary read_summary(const fs::path& path) {
  const std::string text = read_text(path);
  INFO("JSON summary " << path << ":\n" << text);
  Summary s;
  const auto at = text.find("\"epochs\":[");
  REQUIRE(at != std::string::npos);
  s.top = text.substr(0, at);
  std::size_t pos = at;
  while (true) {
    const auto open = text.find('{', pos), close = text.find('}', pos);
    if (open == std::string::npos || close == std::string::npos || open > close) break;
    s.epochs.push_back(text.substr(open, close - open + 1));
    pos = close + 1;
  }
  REQUIRE(text.substr(text.find_last_not_of("\n") - 1, 2) == "]}");
  return s;
}

double number(const std::string& object, const std::string& key) { return std::stod(json_value(object, key)); }

// The epoch lines of the log, as the tutorial prints them.
struct EpochLine {
  std::int64_t epoch;
  double loss, train_acc, test_acc, epsilon;
};

std::vector<EpochLine> epoch_lines(const std::string& out) {
  const std::regex re(
      R"(Epoch: (\d+) \| Train Loss: (\d+\.\d{4}) \| Train Accuracy: (\d\.\d{2}) \| Test Accuracy: (\d\.\d{2}) \| \(ε = (\d+\.\d{2})\))");
  std::vector<EpochLine> lines;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    lines.push_back({std::stoll(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4]), std::stod(m[5])});
  }
  return lines;
}

}  // namespace

TEST_CASE("mnist_dp_ddp --help lists every flag and exits 0", "[e2e][app]") {
  testing::TempDir tmp;
  const AppRun r = run_app("--help", tmp.path());
  INFO(r);
  REQUIRE(r.status == 0);
  REQUIRE(r.err.empty());
  for (const char* flag : {"--data", "--epochs", "--batch-size", "--lr", "--momentum", "--sigma", "--max-grad-norm",
                           "--delta", "--target-epsilon", "--accountant", "--optimizer", "--seed", "--threads",
                           "--device", "--no-dp", "--max-steps", "--json", "--checkpoint", "--resume", "--secure",
                           "--cuda-graphs", "--help"}) {
    INFO(flag);
    REQUIRE(r.out.find(flag) != std::string::npos);
  }
  // Train metrics are not private: the help says so.
  REQUIRE(r.out.find("computed on the private training data without DP") != std::string::npos);
  // The defaults of the issue are shown.
  REQUIRE(r.out.find("200") != std::string::npos);
  REQUIRE(r.out.find("1e-5") != std::string::npos);
  // --help wins over a bad flag.
  REQUIRE(run_app("--epochs 0 --help", tmp.path()).status == 0);
}

TEST_CASE("mnist_dp_ddp rejects bad flags with one line naming the flag and exit 2", "[e2e][app]") {
  testing::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--bogus 3", "--bogus"},
      {"--epochs 0", "--epochs"},
      {"--epochs", "--epochs"},  // missing value
      {"--epochs two", "--epochs"},
      {"--sigma -1", "--sigma"},
      {"--optimizer foo", "--optimizer"},
      {"--accountant moments", "--accountant"},
      {"--delta 2", "--delta"},
      {"--delta 0", "--delta"},
      {"--batch-size -5", "--batch-size"},
      {"--lr 0", "--lr"},
      {"--max-grad-norm 0", "--max-grad-norm"},
      {"--target-epsilon -1", "--target-epsilon"},
      {"--device tpu", "--device"},
      {"--momentum 1.5", "--momentum"},
      {"--threads -2", "--threads"},
      {"--secure --seed 3", "--seed"},
      {"--secure --no-dp", "--no-dp"},
      {"--epochs 3abc", "--epochs"},
      {"--lr 0.1 --lr 0.2", "--lr"},
      {"--no-dp=yes", "--no-dp"},
      {"--json= --epochs 1", "--json"},
      {"--checkpoint --epochs 1", "--checkpoint"},
  };
  for (const auto& [args, flag] : cases) {
    const AppRun r = run_app(fixture().base_args() + " " + args, tmp.path());
    INFO(args << "\n" << r);
    REQUIRE(r.status == 2);
    REQUIRE(count_lines(r.err) == 1);
    REQUIRE(r.err.rfind("mnist_dp_ddp: ", 0) == 0);
    REQUIRE(r.err.find(flag) != std::string::npos);
    REQUIRE(r.out.empty());  // refused before any work
  }
}

TEST_CASE("mnist_dp_ddp names a missing or incomplete data directory", "[e2e][app]") {
  testing::TempDir tmp;
  const fs::path missing = tmp.path() / "no-such-dir";
  AppRun r = run_app("--data " + quote(missing.string()) + " --epochs 1", tmp.path());
  INFO(r);
  REQUIRE(r.status != 0);
  REQUIRE(count_lines(r.err) == 1);
  REQUIRE(r.err.find(missing.string()) != std::string::npos);
  REQUIRE(r.err.find("does not exist") != std::string::npos);

  const fs::path partial = tmp.path() / "partial";
  write_quadrant_mnist(partial, 20, 10);
  fs::remove(partial / "t10k-labels-idx1-ubyte");
  r = run_app("--data " + quote(partial.string()) + " --epochs 1", tmp.path());
  INFO(r);
  REQUIRE(r.status != 0);
  REQUIRE(count_lines(r.err) == 1);
  REQUIRE(r.err.find(partial.string()) != std::string::npos);
  REQUIRE(r.err.find("t10k-labels-idx1-ubyte") != std::string::npos);
}

TEST_CASE("mnist_dp_ddp trains, logs the tutorial's epoch lines, writes --json, and resumes exactly", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path json_full = tmp.path() / "full.json", json_first = tmp.path() / "first.json",
                 json_resumed = tmp.path() / "resumed.json", checkpoint = tmp.path() / "run.ckpt";
  // Momentum, so that the checkpoint must carry optimizer state too.
  const std::string common = f.base_args() + " --batch-size 20 --lr 0.5 --momentum 0.5 --seed 3";

  // An uninterrupted 2-epoch run.
  const AppRun full = run_app(common + " --epochs 2 --json " + quote(json_full.string()), tmp.path());
  INFO("uninterrupted run: " << full);
  REQUIRE(full.status == 0);
  REQUIRE(full.out.find("Loading MNIST from " + f.data.string()) != std::string::npos);
  REQUIRE(full.out.find("average batch size per worker: 20") != std::string::npos);
  REQUIRE(full.out.find("Accountant: rdp computes the epsilon in the log (a certified upper bound") != std::string::npos);
  const auto lines = epoch_lines(full.out);
  REQUIRE(lines.size() == 2);
  REQUIRE(lines[0].epoch == 0);
  REQUIRE(lines[1].epoch == 1);

  const Summary s = read_summary(json_full);
  REQUIRE(s.epochs.size() == 2);
  REQUIRE(json_value(s.top, "dp") == "true");
  REQUIRE(s.top.find("\"accountant\":\"rdp\"") != std::string::npos);
  REQUIRE(number(s.top, "batch_size") == 20);
  REQUIRE(number(s.top, "sigma") == 1.0);
  REQUIRE(number(s.top, "delta") == 1e-5);
  REQUIRE(s.top.find("\"train_metrics\":\"train_loss and train_accuracy are computed on the private training data "
                     "without DP") != std::string::npos);
  // q = 20/200 = 1/len(loader) = 0.1, 10 Poisson steps per epoch; epsilon is
  // the RDP accountant's for 10 and 20 steps at sigma 1.
  for (int e = 0; e < 2; ++e) {
    INFO("epoch " << e << ": " << s.epochs[e]);
    REQUIRE(number(s.epochs[e], "epoch") == e);
    REQUIRE(number(s.epochs[e], "steps") == 10);
    privacy::PrivacyLedger ledger;
    ledger.record(0.1, 1.0, 10 * (e + 1));
    REQUIRE(number(s.epochs[e], "epsilon") == epsilon_of(ledger, "rdp", 1e-5).epsilon);  // exact, not rounded
    // The log line shows the same figures, rounded.
    REQUIRE(lines[e].loss == Approx(number(s.epochs[e], "train_loss")).margin(5.1e-5));
    REQUIRE(lines[e].train_acc == Approx(number(s.epochs[e], "train_accuracy")).margin(5.1e-3));
    REQUIRE(lines[e].test_acc == Approx(number(s.epochs[e], "test_accuracy")).margin(5.1e-3));
    // Epsilon is rounded up on the log line: it stays an upper bound.
    REQUIRE(lines[e].epsilon >= number(s.epochs[e], "epsilon"));
    REQUIRE(lines[e].epsilon < number(s.epochs[e], "epsilon") + 0.0101);
  }
  // Learning: the train loss falls, the task is learnt; privacy spent rises.
  REQUIRE(number(s.epochs[1], "train_loss") < number(s.epochs[0], "train_loss"));
  REQUIRE(number(s.epochs[0], "train_loss") < 1.5);  // chance level is log 4 = 1.39 .. log 10
  REQUIRE(number(s.epochs[1], "test_accuracy") >= 0.8);
  REQUIRE(number(s.epochs[1], "epsilon") > number(s.epochs[0], "epsilon"));
  REQUIRE(number(s.epochs[0], "epsilon") > 0);

  // The same run cut after epoch 1 and resumed from its checkpoint.
  const AppRun first = run_app(common + " --epochs 1 --checkpoint " + quote(checkpoint.string()) + " --json " +
                                   quote(json_first.string()),
                               tmp.path());
  INFO("first part: " << first);
  REQUIRE(first.status == 0);
  REQUIRE(fs::exists(checkpoint));
  REQUIRE(!fs::exists(checkpoint.string() + ".tmp"));  // written atomically, the temporary renamed
  const Summary s1 = read_summary(json_first);
  REQUIRE(s1.epochs.size() == 1);
  REQUIRE(s1.epochs[0].substr(0, s1.epochs[0].find("\"seconds\"")) ==
          s.epochs[0].substr(0, s.epochs[0].find("\"seconds\"")));

  const AppRun resumed = run_app(common + " --epochs 2 --resume " + quote(checkpoint.string()) + " --json " +
                                     quote(json_resumed.string()),
                                 tmp.path());
  INFO("resumed: " << resumed);
  REQUIRE(resumed.status == 0);
  REQUIRE(resumed.out.find("Resumed from") != std::string::npos);
  const auto resumed_lines = epoch_lines(resumed.out);
  REQUIRE(resumed_lines.size() == 1);
  REQUIRE(resumed_lines[0].epoch == 1);
  const Summary s2 = read_summary(json_resumed);
  REQUIRE(!s2.epochs.empty());
  const std::string& last = s2.epochs.back();
  for (const char* key : {"epoch", "steps", "train_loss", "train_accuracy", "test_accuracy", "epsilon"}) {
    INFO(key << ": resumed " << last << "\nuninterrupted " << s.epochs[1]);
    REQUIRE(json_value(last, key) == json_value(s.epochs[1], key));  // bit for bit, as printed
  }
}

// --cuda-graphs routes each step through GraphedStep, which runs it
// directly on the CPU: the figures are those of the plain loop, with DP and
// without. (The GPU's replays equal eager steps bit for bit:
// tests/cuda/test_cuda_graph_cuda.cpp.)
TEST_CASE("mnist_dp_ddp --cuda-graphs trains exactly as without it", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const std::string common = f.base_args() + " --batch-size 20 --epochs 1 --seed 5";
  for (const std::string mode : {"", " --no-dp"}) {
    INFO("mode '" << mode << "'");
    const fs::path plain_json = tmp.path() / "plain.json", graphed_json = tmp.path() / "graphed.json";
    const AppRun plain = run_app(common + mode + " --json " + quote(plain_json.string()), tmp.path());
    INFO(plain);
    REQUIRE(plain.status == 0);
    const AppRun graphed = run_app(common + mode + " --cuda-graphs --json " + quote(graphed_json.string()), tmp.path());
    INFO(graphed);
    REQUIRE(graphed.status == 0);
    const Summary a = read_summary(plain_json), b = read_summary(graphed_json);
    REQUIRE(a.epochs.size() == 1);
    REQUIRE(b.epochs.size() == 1);
    for (const char* key : {"train_loss", "train_accuracy", "test_accuracy"})
      REQUIRE(json_value(b.epochs[0], key) == json_value(a.epochs[0], key));
  }
}

TEST_CASE("mnist_dp_ddp resumes Adam exactly", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path checkpoint = tmp.path() / "adam.ckpt";
  const std::string common = f.base_args() + " --batch-size 40 --optimizer adam --lr 0.002 --seed 11 --max-grad-norm 0.5";
  const AppRun full = run_app(common + " --epochs 2 --json " + quote((tmp.path() / "a.json").string()), tmp.path());
  INFO(full);
  REQUIRE(full.status == 0);
  REQUIRE(run_app(common + " --epochs 1 --checkpoint " + quote(checkpoint.string()), tmp.path()).status == 0);
  const AppRun resumed = run_app(common + " --epochs 2 --resume " + quote(checkpoint.string()) + " --json " +
                                     quote((tmp.path() / "b.json").string()),
                                 tmp.path());
  INFO(resumed);
  REQUIRE(resumed.status == 0);
  const Summary a = read_summary(tmp.path() / "a.json"), b = read_summary(tmp.path() / "b.json");
  REQUIRE(a.epochs.size() == 2);
  for (const char* key : {"train_loss", "train_accuracy", "test_accuracy", "epsilon"})
    REQUIRE(json_value(b.epochs.back(), key) == json_value(a.epochs[1], key));
}

TEST_CASE("mnist_dp_ddp refuses corrupted or foreign checkpoints with a line naming the file", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path checkpoint = tmp.path() / "good.ckpt";
  const std::string common = f.base_args() + " --batch-size 50";
  REQUIRE(run_app(common + " --epochs 1 --checkpoint " + quote(checkpoint.string()), tmp.path()).status == 0);
  const std::string bytes = read_text(checkpoint);
  REQUIRE(bytes.size() > 1000);

  auto expect_error = [&](const fs::path& file, const std::string& what) {
    const AppRun r = run_app(common + " --epochs 2 --resume " + quote(file.string()), tmp.path());
    INFO(file << "\n" << r);
    REQUIRE(r.status != 0);
    REQUIRE(count_lines(r.err) == 1);
    REQUIRE(r.err.find(file.string()) != std::string::npos);
    REQUIRE(r.err.find(what) != std::string::npos);
    REQUIRE(epoch_lines(r.out).empty());  // no training on a bad checkpoint
  };
  // Truncated in the tensor data, and in the header.
  const fs::path truncated = tmp.path() / "truncated.ckpt";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_error(truncated, "truncated");
  const fs::path stub = tmp.path() / "stub.ckpt";
  std::ofstream(stub, std::ios::binary) << bytes.substr(0, 10);
  expect_error(stub, "truncated");
  // Not a checkpoint at all, and no file.
  const fs::path text = tmp.path() / "notes.txt";
  std::ofstream(text) << "these are not the weights you are looking for\n";
  expect_error(text, "not a veil checkpoint");
  expect_error(tmp.path() / "absent.ckpt", "cannot be opened");
  // One flipped byte in the weights, caught by the checksum.
  const fs::path flipped = tmp.path() / "flipped.ckpt";
  std::string changed = bytes;
  changed[bytes.size() / 2] ^= 0x04;
  std::ofstream(flipped, std::ios::binary) << changed;
  expect_error(flipped, "corrupted");
  // A well-formed veil checkpoint without the app's fields (some other
  // program's): the missing field is named, not a bare "map::at".
  const fs::path foreign = tmp.path() / "foreign.ckpt";
  Checkpoint other;
  other.tensors["w"] = Tensor::zeros({2, 2});
  save_checkpoint(foreign, other);
  expect_error(foreign, "epoch");
  // A non-DP checkpoint cannot continue a DP run (it has no ledger).
  const fs::path no_dp = tmp.path() / "nodp.ckpt";
  REQUIRE(run_app(common + " --no-dp --epochs 1 --checkpoint " + quote(no_dp.string()), tmp.path()).status == 0);
  expect_error(no_dp, "without DP");
  // A resume under another seed or batch size would not continue the run.
  const std::pair<std::string, std::string> changes[] = {{common + " --seed 5", "--seed 0, not 5"},
                                                          {f.base_args() + " --batch-size 40", "--batch-size 50, not 40"}};
  for (const auto& [args, message] : changes) {
    const AppRun r = run_app(args + " --epochs 2 --resume " + quote(checkpoint.string()), tmp.path());
    INFO(args << "\n" << r);
    REQUIRE(r.status == 1);
    REQUIRE(r.err.find(message) != std::string::npos);
    REQUIRE(epoch_lines(r.out).empty());
  }
}

TEST_CASE("mnist_dp_ddp refuses a checkpoint whose privacy ledger lacks steps", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path checkpoint = tmp.path() / "run.ckpt";
  const std::string common = f.base_args() + " --batch-size 20";
  REQUIRE(run_app(common + " --epochs 1 --checkpoint " + quote(checkpoint.string()), tmp.path()).status == 0);
  Checkpoint ck = load_checkpoint(checkpoint);
  REQUIRE(ck.fields.at("global_step") == "10");
  const auto ledger = privacy::PrivacyLedger::from_string(ck.fields.at("privacy_ledger"));
  REQUIRE(ledger.total_steps() == 10);

  // The ledger edited to 5 steps. Edited in place the checksum no longer
  // matches; saved again (checksum recomputed) the step counts disagree.
  const std::string text = ck.fields.at("privacy_ledger");
  const std::string under_counted = text.substr(0, text.rfind(" 10\n")) + " 5\n";
  REQUIRE(privacy::PrivacyLedger::from_string(under_counted).total_steps() == 5);
  std::string bytes = read_text(checkpoint);
  const auto at = bytes.find(text);
  REQUIRE(at != std::string::npos);
  bytes.replace(at + text.rfind(" 10\n"), 4, " 05\n");
  const fs::path edited = tmp.path() / "edited.ckpt";
  std::ofstream(edited, std::ios::binary) << bytes;
  ck.fields["privacy_ledger"] = under_counted;
  const fs::path resaved = tmp.path() / "resaved.ckpt";
  save_checkpoint(resaved, ck);

  const std::pair<fs::path, std::string> cases[] = {
      {edited, "corrupted"}, {resaved, "privacy ledger holds 5 steps but it was written at step 10"}};
  for (const auto& [file, message] : cases) {
    const AppRun r = run_app(common + " --epochs 2 --resume " + quote(file.string()), tmp.path());
    INFO(r);
    REQUIRE(r.status == 1);
    REQUIRE(count_lines(r.err) == 1);
    REQUIRE(r.err.find(file.string()) != std::string::npos);
    REQUIRE(r.err.find(message) != std::string::npos);
    REQUIRE(epoch_lines(r.out).empty());
  }
}

TEST_CASE("mnist_dp_ddp keeps a noiseless history: epsilon stays infinite after resuming with noise", "[e2e][app]") {
  // The issue's two runs: 20 steps without noise, then 20 with sigma 1 on
  // resume. Epsilon must not be the value for the 20 noisy steps alone.
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path checkpoint = tmp.path() / "a.ck", json_first = tmp.path() / "a.json", json = tmp.path() / "r.json";
  const std::string common = f.base_args() + " --batch-size 10";  // 20 steps per epoch
  const AppRun first = run_app(common + " --epochs 1 --max-steps 20 --sigma 0 --checkpoint " +
                                   quote(checkpoint.string()) + " --json " + quote(json_first.string()),
                               tmp.path());
  INFO(first);
  REQUIRE(first.status == 0);
  REQUIRE(first.out.find("(ε = inf)") != std::string::npos);
  REQUIRE(first.out.find("no finite epsilon") != std::string::npos);
  REQUIRE(json_value(read_summary(json_first).epochs.at(0), "epsilon") == "\"inf\"");
  const auto ledger = privacy::PrivacyLedger::from_string(load_checkpoint(checkpoint).fields.at("privacy_ledger"));
  REQUIRE(ledger.total_steps() == 20);
  REQUIRE(ledger.has_noiseless_step());

  const AppRun resumed = run_app(common + " --epochs 2 --max-steps 40 --sigma 1 --resume " + quote(checkpoint.string()) +
                                     " --json " + quote(json.string()),
                                 tmp.path());
  INFO(resumed);
  REQUIRE(resumed.status == 0);
  REQUIRE(resumed.out.find("Epoch: 1 ") != std::string::npos);
  REQUIRE(resumed.out.find("(ε = inf)") != std::string::npos);
  REQUIRE(epoch_lines(resumed.out).empty());  // no finite epsilon printed
  const Summary s = read_summary(json);
  REQUIRE(s.epochs.size() == 1);
  REQUIRE(number(s.epochs[0], "steps") == 20);
  REQUIRE(json_value(s.epochs[0], "epsilon") == "\"inf\"");
  REQUIRE(number(s.top, "sigma") == 1.0);
  // Still valid JSON: no bare inf, nan or Infinity anywhere.
  const std::string text = read_text(json);
  REQUIRE(!std::regex_search(text, std::regex(R"(:\s*-?(inf|nan|Infinity|NaN)\b)")));
}

TEST_CASE("mnist_dp_ddp --secure samples and noises from the OS and stores no seed", "[e2e][app][secure]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const std::string common = f.base_args() + " --batch-size 20";
  const fs::path secure_ck = tmp.path() / "secure.ckpt", seeded_ck = tmp.path() / "seeded.ckpt";

  // Without --secure the start-up says what the seed gives away.
  const AppRun seeded = run_app(common + " --epochs 1 --seed 4 --checkpoint " + quote(seeded_ck.string()), tmp.path());
  INFO(seeded);
  REQUIRE(seeded.status == 0);
  REQUIRE(seeded.out.find("reproducible from --seed 4") != std::string::npos);
  REQUIRE(seeded.out.find("only with --secure") != std::string::npos);

  std::vector<std::string> losses;
  for (int run = 0; run < 2; ++run) {
    const fs::path json = tmp.path() / ("secure" + std::to_string(run) + ".json");
    const AppRun r = run_app(common + " --secure --epochs 1 --checkpoint " + quote(secure_ck.string()) + " --json " +
                                 quote(json.string()),
                             tmp.path());
    INFO(r);
    REQUIRE(r.status == 0);
    REQUIRE(r.out.find("ChaCha20 keyed from the OS") != std::string::npos);  // the private loader
    REQUIRE(r.out.find("secure_mode") != std::string::npos);                 // the private optimizer
    REQUIRE(r.out.find("not reproducible") != std::string::npos);
    REQUIRE(r.out.find("reproducible from --seed") == std::string::npos);
    REQUIRE(epoch_lines(r.out).size() == 1);
    const Summary s = read_summary(json);
    REQUIRE(json_value(s.top, "secure") == "true");
    REQUIRE(s.top.find("\"seed\"") == std::string::npos);
    losses.push_back(json_value(s.epochs.at(0), "train_loss"));
    const Checkpoint ck = load_checkpoint(secure_ck);
    REQUIRE(ck.fields.at("secure") == "1");
    REQUIRE(ck.fields.count("seed") == 0);
  }
  REQUIRE(losses[0] != losses[1]);  // other batches and noise each time

  // A secure checkpoint resumes only in secure mode, a seeded one only seeded.
  const std::pair<std::string, std::string> refused[] = {
      {common + " --resume " + quote(secure_ck.string()), "resume it with --secure"},
      {common + " --seed 4 --resume " + quote(secure_ck.string()), "resume it with --secure"},
      {common + " --secure --resume " + quote(seeded_ck.string()), "without --secure"}};
  for (const auto& [args, message] : refused) {
    const AppRun r = run_app(args + " --epochs 2", tmp.path());
    INFO(args << "\n" << r);
    REQUIRE(r.status == 1);
    REQUIRE(count_lines(r.err) == 1);
    REQUIRE(r.err.find(message) != std::string::npos);
    REQUIRE(epoch_lines(r.out).empty());
  }
  const AppRun resumed = run_app(common + " --secure --epochs 2 --resume " + quote(secure_ck.string()) +
                                     " --checkpoint " + quote(secure_ck.string()),
                                 tmp.path());
  INFO(resumed);
  REQUIRE(resumed.status == 0);
  REQUIRE(resumed.out.find("Resumed from") != std::string::npos);
  REQUIRE(epoch_lines(resumed.out).size() == 1);
  REQUIRE(load_checkpoint(secure_ck).fields.at("global_step") == "20");
}

TEST_CASE("mnist_dp_ddp --target-epsilon calibrates sigma and never exceeds the target", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path json = tmp.path() / "target.json";
  const AppRun r = run_app(f.base_args() + " --batch-size 20 --epochs 2 --target-epsilon 0.5 --json " + quote(json.string()),
                           tmp.path());
  INFO(r);
  REQUIRE(r.status == 0);
  const Summary s = read_summary(json);
  REQUIRE(s.epochs.size() == 2);
  const double sigma = number(s.top, "sigma");
  // q = 0.1 over 2 epochs of 10 steps, delta 1e-5 (the default).
  REQUIRE(sigma == Approx(privacy::noise_for_epsilon(0.5, 1e-5, 0.1, 20)).epsilon(1e-9));
  REQUIRE(sigma > 1.5);
  const double final_epsilon = number(s.epochs.back(), "epsilon");
  REQUIRE(final_epsilon <= 0.5);
  REQUIRE(final_epsilon > 0.45);  // calibrated, not just very noisy
  REQUIRE(number(s.epochs[0], "epsilon") < final_epsilon);
  REQUIRE(r.out.find("noise_multiplier=" ) != std::string::npos);

  // Impossible targets fail with one clear line and no training.
  const AppRun impossible = run_app(f.base_args() + " --batch-size 20 --epochs 2 --target-epsilon 1e-6", tmp.path());
  INFO(impossible);
  REQUIRE(impossible.status != 0);
  REQUIRE(count_lines(impossible.err) == 1);
  REQUIRE(impossible.err.find("target epsilon") != std::string::npos);
  REQUIRE(impossible.err.find("1e-06") != std::string::npos);
  REQUIRE(epoch_lines(impossible.out).empty());
}

TEST_CASE("mnist_dp_ddp --accountant pld logs PLD's epsilon and says so", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path json = tmp.path() / "pld.json";
  const AppRun r = run_app(f.base_args() + " --batch-size 20 --epochs 1 --accountant pld --json " + quote(json.string()),
                           tmp.path());
  INFO(r);
  REQUIRE(r.status == 0);
  REQUIRE(r.out.find("Accountant: pld computes the epsilon in the log (a certified upper bound, delta 1e-05)") !=
          std::string::npos);
  const Summary s = read_summary(json);
  REQUIRE(s.top.find("\"accountant\":\"pld\"") != std::string::npos);
  privacy::PrivacyLedger ledger;
  ledger.record(0.1, 1.0, 10);
  const double epsilon = number(s.epochs[0], "epsilon");
  REQUIRE(epsilon == Approx(epsilon_of(ledger, "pld", 1e-5).epsilon).epsilon(1e-8));
  REQUIRE(epsilon < epsilon_of(ledger, "rdp", 1e-5).epsilon);
  REQUIRE(epoch_lines(r.out).size() == 1);
}

TEST_CASE("mnist_dp_ddp --no-dp trains the same model without privacy accounting", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path json = tmp.path() / "nodp.json";
  const AppRun r = run_app(f.base_args() + " --no-dp --batch-size 20 --epochs 1 --json " + quote(json.string()), tmp.path());
  INFO(r);
  REQUIRE(r.status == 0);
  REQUIRE(r.out.find("(no DP)") != std::string::npos);
  REQUIRE(epoch_lines(r.out).empty());  // no epsilon on the line
  const Summary s = read_summary(json);
  REQUIRE(json_value(s.top, "dp") == "false");
  REQUIRE(s.epochs.size() == 1);
  REQUIRE(json_value(s.epochs[0], "epsilon") == "\"inf\"");  // no privacy guarantee at all
  REQUIRE(number(s.epochs[0], "steps") == 10);  // fixed batches of 20
}

TEST_CASE("mnist_dp_ddp --save-model writes the trained model as safetensors with PyTorch's names", "[e2e][app]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const fs::path model_file = tmp.path() / "model.safetensors";
  const fs::path checkpoint = tmp.path() / "run.ck";
  const AppRun r = run_app(f.base_args() + " --batch-size 20 --epochs 1 --save-model " + quote(model_file.string()) +
                               " --checkpoint " + quote(checkpoint.string()),
                           tmp.path());
  INFO(r);
  REQUIRE(r.status == 0);
  const StateDict saved = load_safetensors(model_file);
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"conv1.weight", {16, 1, 8, 8}}, {"conv1.bias", {16}}, {"conv2.weight", {32, 16, 4, 4}},
      {"conv2.bias", {32}},           {"fc1.weight", {32, 512}}, {"fc1.bias", {32}},
      {"fc2.weight", {10, 32}},       {"fc2.bias", {10}}};
  REQUIRE(saved.size() == expected.size());
  for (const auto& [name, shape] : expected) {
    INFO(name);
    REQUIRE(saved.count(name) == 1);
    REQUIRE(saved.at(name).shape() == shape);
  }
  REQUIRE(load_safetensors_metadata(model_file).at("format") == "pt");
  // The same trained parameters the checkpoint holds.
  const Checkpoint ck = load_checkpoint(checkpoint);
  for (const auto& [name, shape] : expected) {
    INFO(name);
    REQUIRE(ck.tensors.count("model." + name) == 1);
    REQUIRE(max_abs_diff(saved.at(name), ck.tensors.at("model." + name)) == 0.0);
  }
  // An unwritable path is refused before training.
  const AppRun bad = run_app(f.base_args() + " --save-model " + quote((tmp.path() / "no" / "m.safetensors").string()),
                             tmp.path());
  REQUIRE(bad.status == 2);
  REQUIRE(bad.err.find("--save-model") != std::string::npos);
  REQUIRE(bad.out.find("Epoch:") == std::string::npos);
}

TEST_CASE("mnist_dp_ddp --recipe tutorial is the run without --recipe", "[e2e][app][recipes]") {
  const Fixture& f = fixture();
  testing::TempDir tmp;
  const AppRun plain = run_app(f.base_args() + " --batch-size 20 --epochs 1", tmp.path());
  const AppRun tutorial = run_app(f.base_args() + " --recipe tutorial --batch-size 20 --epochs 1", tmp.path());
  INFO(plain << tutorial);
  REQUIRE(plain.status == 0);
  REQUIRE(tutorial.status == 0);
  const std::vector<EpochLine> a = epoch_lines(plain.out), b = epoch_lines(tutorial.out);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  REQUIRE(a[0].loss == b[0].loss);
  REQUIRE(a[0].test_acc == b[0].test_acc);
  REQUIRE(a[0].epsilon == b[0].epsilon);
}

// A short run of each shipped recipe on the small synthetic set (the batch
// size lowered to fit it): it starts, calibrates sigma with PLD so that the
// epsilon it prints stays within the target, and trains.
TEST_CASE("mnist_dp_ddp --recipe calibrates sigma to epsilon 3 with PLD and trains", "[e2e][app][recipes]") {
  const Fixture& f = fixture();
  for (const char* recipe : {"mnist-eps3", "fashion-eps3"}) {
    INFO(recipe);
    testing::TempDir tmp;
    const fs::path json = tmp.path() / "recipe.json";
    const AppRun r = run_app(f.base_args() + " --recipe " + recipe + " --batch-size 40 --epochs 4 --json " +
                                 quote(json.string()),
                             tmp.path());
    INFO(r);
    REQUIRE(r.status == 0);
    REQUIRE(r.out.find("Accountant: pld computes the epsilon in the log (a certified upper bound, delta 1e-05)") !=
            std::string::npos);
    REQUIRE(r.out.find("scattering features (J 2, L 8): 81 x 7 x 7 per image") != std::string::npos);
    REQUIRE(r.out.find("Model: ScatterLinear") != std::string::npos);
    const Summary s = read_summary(json);
    REQUIRE(s.top.find("\"recipe\":\"" + std::string(recipe) + "\"") != std::string::npos);
    // q = 40/200 over 4 epochs of 5 steps.
    const double sigma = number(s.top, "sigma");
    REQUIRE(sigma == Approx(privacy::noise_for_epsilon(3.0, 1e-5, 0.2, 20, "pld")).epsilon(1e-9));
    const std::vector<EpochLine> lines = epoch_lines(r.out);
    REQUIRE(lines.size() == 4);
    for (const EpochLine& line : lines) REQUIRE(line.epsilon <= 3.0);
    REQUIRE(number(s.epochs.back(), "epsilon") <= 3.0);
    REQUIRE(number(s.epochs.back(), "epsilon") > 2.9);  // calibrated, not just very noisy
    for (const std::string& epoch : s.epochs) REQUIRE(std::isfinite(number(epoch, "train_loss")));
    REQUIRE(number(s.epochs.back(), "train_loss") < number(s.epochs.front(), "train_loss"));
  }
}
