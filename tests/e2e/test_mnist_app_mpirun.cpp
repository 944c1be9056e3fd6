// mnist_dp_ddp with 2 workers under mpirun (VEIL_TEST_MPIEXEC and its
// flags, set by tests/CMakeLists.txt): rank 0 alone prints and writes files; 2 workers
// train what one process trains; a resumed 2-worker run continues exactly;
// an error on one rank ends the job quickly, naming the rank; a loss that
// diverges on one rank stops them all; and the tutorial's --show-loaders and
// --sync-demo chapters.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "support/test_data.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/serialization.h"

using namespace veil;
namespace fs = std::filesystem;

using veil::testing::read_text;

namespace {

struct Run {
  int status = -1;
  double seconds = 0;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Run& r) {
  return os << "exit status " << r.status << " after " << r.seconds << " s\n--- stdout ---\n"
            << r.out << "--- stderr ---\n" << r.err;
}

// A scratch directory with a 28x28 MNIST-format data set.
struct Fixture {
  testing::TempDir tmp;
  fs::path data = tmp.path() / "mnist";
  Fixture() { testing::write_mnist_dir(data, {.train_count = 120, .test_count = 30, .rows = 28, .cols = 28}); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string app() { return (fs::read_symlink("/proc/self/exe").parent_path() / "mnist_dp_ddp").string(); }

// Runs `command` through the shell, capturing stdout and stderr.
Run run(const std::string& command) {
  static int counter = 0;
  const fs::path out = fixture().tmp.path() / ("out." + std::to_string(counter)),
                 err = fixture().tmp.path() / ("err." + std::to_string(counter));
  ++counter;
  const auto start = std::chrono::steady_clock::now();
  const int raw = std::system((command + " > " + out.string() + " 2> " + err.string() + " < /dev/null").c_str());
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

// mpirun's command line up to the program: `np` ranks, as root and on few cores.
std::string mpirun(int np) {
  return std::string(VEIL_TEST_MPIEXEC) + " " + VEIL_TEST_MPI_FLAGS + " " + VEIL_TEST_MPI_NP + " " + std::to_string(np);
}

std::string two_workers(const std::string& args) { return mpirun(2) + " " + app() + " " + args; }

std::string common(const std::string& extra) {
  return "--data " + fixture().data.string() + " --threads 1 --batch-size 20 " + extra;
}

std::int64_t count(const std::string& text, const std::string& part) {
  std::int64_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

void require_same_parameters(const fs::path& a, const fs::path& b, double rtol) {
  const Checkpoint x = load_checkpoint(a), y = load_checkpoint(b);
  REQUIRE(x.tensors.size() == y.tensors.size());
  for (const auto& [name, t] : x.tensors) {
    INFO(name);
    REQUIRE(y.tensors.count(name) == 1);
    if (t.dtype() != DType::Float32) continue;
    const auto u = t.to_vector<float>(), v = y.tensors.at(name).to_vector<float>();
    double worst = 0;
    for (std::size_t i = 0; i < u.size(); ++i) worst = std::max(worst, std::fabs(double(u[i]) - v[i]));
    INFO("largest difference " << worst);
    REQUIRE(allclose(t, y.tensors.at(name), rtol, rtol / 10));
  }
  REQUIRE(x.fields.at("privacy_ledger") == y.fields.at("privacy_ledger"));
}

}  // namespace

TEST_CASE("Two workers train like one process, and rank 0 alone prints and writes", "[e2e][mpi]") {
  const fs::path one = fixture().tmp.path() / "one.ckpt", two = fixture().tmp.path() / "two.ckpt",
                 json = fixture().tmp.path() / "two.json";
  const Run single = run(app() + " " + common("--epochs 2 --sigma 0 --checkpoint " + one.string()));
  INFO(single);
  REQUIRE(single.status == 0);
  const Run pair =
      run(two_workers(common("--epochs 2 --sigma 0 --checkpoint " + two.string() + " --json " + json.string())));
  INFO(pair);
  REQUIRE(pair.status == 0);
  REQUIRE(count(pair.out, "Epoch: ") == 2);  // not once per rank
  REQUIRE(count(pair.out, "Loading ") == 1);
  REQUIRE(pair.out.find("World size: 2 worker(s) (mpi process group)") != std::string::npos);
  REQUIRE(pair.out.find("average batch size per worker: 10 (2 workers)") != std::string::npos);
  REQUIRE(read_text(json).find("\"workers\":2") != std::string::npos);
  // Same global batches (one Poisson draw, sharded), same clipping: only the
  // summation order differs. (With noise too, but then a ReLU or max-pool
  // switching on a rounding difference makes later steps drift apart.)
  require_same_parameters(one, two, 1e-5);
}

TEST_CASE("A resumed 2-worker run continues exactly as an uninterrupted one", "[e2e][mpi]") {
  const fs::path full = fixture().tmp.path() / "full.ckpt", cut = fixture().tmp.path() / "cut.ckpt";
  const Run whole = run(two_workers(common("--epochs 3 --checkpoint " + full.string())));
  INFO(whole);
  REQUIRE(whole.status == 0);
  const Run first = run(two_workers(common("--epochs 1 --checkpoint " + cut.string())));
  INFO(first);
  REQUIRE(first.status == 0);
  const Run rest = run(two_workers(common("--epochs 3 --resume " + cut.string() + " --checkpoint " + cut.string())));
  INFO(rest);
  REQUIRE(rest.status == 0);
  REQUIRE(count(rest.out, "Resumed from") == 1);
  REQUIRE(count(rest.out, "Epoch: ") == 2);
  require_same_parameters(full, cut, 0.0);  // bit for bit
}

TEST_CASE("An error on one rank ends the whole run within seconds, naming the rank", "[e2e][mpi]") {
  // Rank 1 cannot read its data; rank 0 would wait for it in DPDDP's broadcast.
  const Run r = run(mpirun(1) + " " + app() + " " + common("--timeout 20") + " : " + VEIL_TEST_MPI_NP + " 1 " + app() +
                    " --data " + (fixture().tmp.path() / "missing").string() + " --threads 1 --timeout 20");
  INFO(r);
  REQUIRE(r.status != 0);
  REQUIRE(r.seconds < 15);  // not the collective timeout: MPI_Abort ends rank 0 at once
  REQUIRE(r.err.find("mnist_dp_ddp: rank 1: error: ") != std::string::npos);
  REQUIRE(r.err.find("missing") != std::string::npos);
}

TEST_CASE("A loss that diverges on one rank stops every rank at the same check point, exit 1, one message",
          "[e2e][mpi]") {
  // Rank 1's learning rate sends its replica alone to infinity; rank 0's
  // loss stays finite. The ranks exchange their verdicts at the same check
  // points (Note [Reads at check points]), and the message names rank 1 and
  // the step where its loss diverged. (timeout: a rank left waiting would
  // hang the test.)
  const std::string args = common("--epochs 1 --timeout 20");
  const Run r = run("timeout 120 " + mpirun(1) + " " + app() + " " + args + " : " + VEIL_TEST_MPI_NP + " 1 " + app() +
                    " " + args + " --lr 1e308 --momentum 0.5");
  INFO(r);
  REQUIRE(r.status == 1);
  REQUIRE(r.seconds < 15);  // no rank waited out the collective timeout
  // Rank 0 speaks for all; no rank ended the job by force.
  REQUIRE(count(r.err, "mnist_dp_ddp: error: the training loss became") == 1);
  REQUIRE(r.err.find("on rank 1 at step") != std::string::npos);
  REQUIRE(r.err.find("diverged") != std::string::npos);
  REQUIRE(r.err.find("rank 1: error") == std::string::npos);
  REQUIRE(r.out.find("Epoch: ") == std::string::npos);
}

TEST_CASE("--show-loaders prints the plain, distributed and private loaders", "[e2e][mpi]") {
  const Run r = run(app() + " " + "--data " + fixture().data.string() + " --show-loaders --batch-size 16");
  INFO(r);
  REQUIRE(r.status == 0);
  // 120 examples, batch 16: 8 batches; 60 per worker in batches of 8; q = 1/8.
  REQUIRE(r.out.find("Non-distributed loader: #batches 8, #data points 120, batch size 16") != std::string::npos);
  REQUIRE(r.out.find("Distributed loader (rank 0 of 2): #batches 8, #data points 60, batch size 8") !=
          std::string::npos);
  REQUIRE(r.out.find("Distributed private loader (rank 0 of 2): #batches 8, #data points 60, sample rate 0.125000, "
                     "average batch size 7") != std::string::npos);
  REQUIRE(r.out.find("Model:") == std::string::npos);  // it exits before training
}

TEST_CASE("--sync-demo: gradients differ before step() and equal their average after it", "[e2e][mpi]") {
  const Run r = run(two_workers(common("--sync-demo")));
  INFO(r);
  REQUIRE(r.status == 0);
  const std::regex line(R"(rank (\d): (before|after) step\(\): +\|grad\| = ([0-9.]+), first values \[([^\]]+)\])");
  std::map<std::string, std::string> values;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), line); it != std::sregex_iterator(); ++it)
    values[(*it)[2].str() + (*it)[1].str()] = (*it)[3].str() + " " + (*it)[4].str();
  REQUIRE(values.size() == 4);
  REQUIRE(values["before0"] != values["before1"]);
  REQUIRE(values["after0"] == values["after1"]);
  const std::regex average(R"(average of the workers' gradients before step\(\): \|grad\| = ([0-9.]+), first values \[([^\]]+)\])");
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, average));
  REQUIRE(values["after0"] == m[1].str() + " " + m[2].str());
}
