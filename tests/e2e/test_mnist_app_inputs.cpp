// mnist_dp_ddp given hostile input (issue #17): checkpoints with fields or
// tensors that do not fit the run, flags with values that cannot work, and
// output paths that cannot be written. Each is refused with one line naming
// the file or flag, before any training, and never crashes.
//
// The binary is found beside this test's own executable (both in build/bin).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/test_data.h"
#include "veil/core/device.h"
#include "veil/layers/serialization.h"

using namespace veil;
namespace fs = std::filesystem;

using veil::testing::quote;
using veil::testing::read_text;

namespace {

struct AppRun {
  int status = -1;  // -1: killed by a signal (a crash)
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const AppRun& r) {
  return os << "exit status " << r.status << "\n--- stdout ---\n" << r.out << "--- stderr ---\n" << r.err;
}

// One data set (28x28 images, as the model needs) and a scratch directory
// for all the runs of this file.
struct Fixture {
  testing::TempDir tmp;
  fs::path data = tmp.path() / "data";
  Fixture() { testing::write_mnist_dir(data, {.train_count = 40, .test_count = 10, .rows = 28, .cols = 28}); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Runs the app with `args` on `data` (the fixture's by default), one thread,
// under a wall-clock bound (timeout's status 124 marks a hang).
AppRun run_app(const std::string& args, const fs::path& data = fixture().data) {
  static int counter = 0;
  const fs::path dir = fixture().tmp.path();
  const fs::path out = dir / ("stdout." + std::to_string(counter)), err = dir / ("stderr." + std::to_string(counter));
  ++counter;
  const fs::path app = fs::read_symlink("/proc/self/exe").parent_path() / "mnist_dp_ddp";
  REQUIRE(fs::exists(app));
  const std::string command = "timeout 120 " + quote(app.string()) + " --data " + quote(data.string()) +
                              " --threads 1 " + args + " > " + quote(out.string()) + " 2> " + quote(err.string()) +
                              " < /dev/null";
  const int raw = std::system(command.c_str());
  AppRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

// The run failed with `status`, one line on stderr holding every piece of
// `mentions`, and no epoch trained.
void require_refusal(const AppRun& r, int status, const std::vector<std::string>& mentions) {
  INFO(r);
  REQUIRE(r.status == status);
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  for (const std::string& m : mentions) REQUIRE(r.err.find(m) != std::string::npos);
  REQUIRE(r.out.find("Epoch: ") == std::string::npos);
}

fs::path checkpoint_of(const std::string& name, const std::string& args) {
  const fs::path path = fixture().tmp.path() / name;
  const AppRun r = run_app(args + " --epochs 1 --checkpoint " + quote(path.string()));
  INFO(r);
  REQUIRE(r.status == 0);
  return path;
}

// `original` with changes applied, saved as a new well-formed checkpoint.
template <typename Edit>
fs::path edited(const fs::path& original, const std::string& name, const Edit& edit) {
  Checkpoint ck = load_checkpoint(original);
  edit(ck);
  const fs::path path = original.parent_path() / name;
  save_checkpoint(path, ck);
  return path;
}

}  // namespace

TEST_CASE("a checkpoint resumes only with the optimizer that wrote it", "[e2e][app]") {
  const fs::path sgd = checkpoint_of("sgd.ckpt", "--batch-size 20");
  const fs::path adam = checkpoint_of("adam.ckpt", "--batch-size 20 --optimizer adam");
  require_refusal(run_app("--batch-size 20 --epochs 2 --optimizer adam --resume " + quote(sgd.string())), 1,
                  {sgd.string(), "--optimizer sgd"});
  require_refusal(run_app("--batch-size 20 --epochs 2 --resume " + quote(adam.string())), 1,
                  {adam.string(), "--optimizer adam"});
}

TEST_CASE("optimizer state of the wrong shape is refused, naming the tensor", "[e2e][app]") {
  const fs::path good = checkpoint_of("momentum.ckpt", "--batch-size 20 --momentum 0.9");
  const fs::path bad = edited(good, "short_momentum.ckpt",
                              [](Checkpoint& ck) { ck.tensors.at("optimizer.momentum.0") = Tensor::zeros({1}); });
  require_refusal(run_app("--batch-size 20 --momentum 0.9 --epochs 2 --resume " + quote(bad.string())), 1,
                  {bad.string(), "momentum.0"});
  const fs::path adam = checkpoint_of("adam_shape.ckpt", "--batch-size 20 --optimizer adam");
  const fs::path bad_adam =
      edited(adam, "short_m.ckpt", [](Checkpoint& ck) { ck.tensors.at("optimizer.m.0") = Tensor::zeros({1}); });
  require_refusal(run_app("--batch-size 20 --optimizer adam --epochs 2 --resume " + quote(bad_adam.string())), 1,
                  {bad_adam.string(), "m.0"});
  const fs::path no_step =
      edited(adam, "no_step.ckpt", [](Checkpoint& ck) { ck.tensors.erase("optimizer.step"); });
  require_refusal(run_app("--batch-size 20 --optimizer adam --epochs 2 --resume " + quote(no_step.string())), 1,
                  {no_step.string(), "step count"});
  const fs::path extra =
      edited(good, "extra.ckpt", [](Checkpoint& ck) { ck.tensors["optimizer.velocity"] = Tensor::zeros({1}); });
  require_refusal(run_app("--batch-size 20 --momentum 0.9 --epochs 2 --resume " + quote(extra.string())), 1,
                  {extra.string(), "neither"});
}

TEST_CASE("epoch and step fields out of range or not plain numbers are refused", "[e2e][app]") {
  const fs::path good = checkpoint_of("fields.ckpt", "--batch-size 20 --no-dp");
  const std::string max = std::to_string(INT64_MAX);
  const std::pair<std::string, std::string> changes[] = {
      {"epoch", max}, {"global_step", max}, {"epoch", "3abc"}, {"epoch", " 1"},
      {"epoch", "1e3"}, {"epoch", "-5"},     {"global_step", "99"}};
  int i = 0;
  for (const auto& [field, value] : changes) {
    const fs::path bad = edited(good, "field" + std::to_string(i++) + ".ckpt",
                                [&](Checkpoint& ck) { ck.fields.at(field) = value; });
    INFO(field << " = '" << value << "'");
    require_refusal(run_app("--batch-size 20 --no-dp --epochs 3 --resume " + quote(bad.string())), 1,
                    {bad.string(), field});
  }
}

TEST_CASE("the dp and secure fields are refused unless exactly the 0 or 1 they were written as", "[e2e][app]") {
  const fs::path good = checkpoint_of("flags.ckpt", "--batch-size 20 --no-dp");
  const std::pair<std::string, std::string> changes[] = {{"secure", "2"},  {"secure", ""},     {"secure", "0 "},
                                                         {"secure", "no"}, {"secure", "true"}, {"dp", "00"},
                                                         {"dp", "false"}};
  int i = 0;
  for (const auto& [field, value] : changes) {
    const fs::path bad = edited(good, "flag" + std::to_string(i++) + ".ckpt",
                                [&](Checkpoint& ck) { ck.fields.at(field) = value; });
    INFO(field << " = '" << value << "'");
    require_refusal(run_app("--batch-size 20 --no-dp --epochs 3 --resume " + quote(bad.string())), 1,
                    {bad.string(), "malformed field '" + field + "'"});
  }
}

TEST_CASE("flag values that cannot work are refused before training, with exit 2", "[e2e][app]") {
  const fs::path pipe = fixture().tmp.path() / "pipe.json";
  REQUIRE(mkfifo(pipe.c_str(), 0600) == 0);
  const std::string missing = quote((fixture().tmp.path() / "absent" / "out").string());
  std::vector<std::pair<std::string, std::string>> cases = {
      {"--batch-size 9223372036854775807", "--batch-size"},
      {"--batch-size 41", "--batch-size 41"},
      {"--max-steps -5", "--max-steps"},
      {"--max-steps 0", "--max-steps"},
      {"--threads 99999999999", "--threads"},
      {"--checkpoint " + missing, "--checkpoint"},
      {"--json " + missing, "--json"},
      {"--json " + quote(pipe.string()), "named pipe"},
  };
  // Without a GPU (or without CUDA in the build) the GPU is refused too.
  if (!cuda_available()) cases.emplace_back("--device cuda", "--device");
  for (const auto& [args, mention] : cases) {
    INFO(args);
    require_refusal(run_app("--epochs 1 " + args), 2, {mention});
  }
  REQUIRE(fs::is_fifo(pipe));
}

TEST_CASE("a noise multiplier too small to bound epsilon is known before training, not after an epoch",
          "[e2e][app]") {
  // The accountant answers infinity, which the run reports, instead of
  // failing an assertion once the epoch has trained.
  const AppRun r = run_app("--batch-size 20 --epochs 1 --sigma 1e-300");
  INFO(r);
  REQUIRE(r.status == 0);
  REQUIRE(r.out.find("(ε = inf)") != std::string::npos);
}

TEST_CASE("a diverged run stops with an error naming the step where it diverged, and writes nothing", "[e2e][app]") {
  // The loss is NaN from step 1 on. The host reads the steps' figures every
  // 10 steps (Note [Reads at check points]): the run stops at step 9 of its
  // 20, naming step 1, before the epoch's end writes any file.
  const fs::path dir = fixture().tmp.path() / "diverged";
  fs::create_directories(dir);
  const std::vector<fs::path> files = {dir / "run.ckpt", dir / "run.json", dir / "model.safetensors"};
  for (const std::string mode : {"--no-dp", "--sigma 0.5"}) {
    const AppRun r = run_app("--batch-size 2 --epochs 1 --lr 1e308 --momentum 0.5 --checkpoint " +
                             quote(files[0].string()) + " --json " + quote(files[1].string()) + " --save-model " +
                             quote(files[2].string()) + " " + mode);
    INFO(r);
    REQUIRE(r.status == 1);
    REQUIRE(r.err.find("the training loss became") != std::string::npos);
    REQUIRE(r.err.find(" at step 1 (epoch 0): the run diverged") != std::string::npos);
    REQUIRE(r.out.find("nan") == std::string::npos);
    REQUIRE(r.out.find("Epoch: ") == std::string::npos);
    for (const fs::path& file : files) REQUIRE_FALSE(fs::exists(file));
  }
}

TEST_CASE("images of another shape than MNIST's are refused, naming the file", "[e2e][app]") {
  const fs::path data = fixture().tmp.path() / "wide";
  testing::write_mnist_dir(data, {.train_count = 40, .test_count = 10, .rows = 14, .cols = 56});
  const AppRun r = run_app("--epochs 1", data);
  require_refusal(r, 1, {(data / "train-images-idx3-ubyte").string(), "28 x 28"});
}
