// Runs the dp_accountant app (built next to the tests in build/bin) and checks
// its output and exit codes for good and bad command lines.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>

#include "veil/data/data_loader.h"

namespace {

struct AppRun {
  int status;
  std::string out;
  std::string err;
};

std::filesystem::path app_path() {
  const auto path = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "dp_accountant";
  if (!std::filesystem::exists(path)) FAIL("dp_accountant is not built next to the tests: " << path);
  return path;
}

AppRun run_app(const std::string& arguments) {
  char err_path[] = "/tmp/veil_dp_accountant_stderr_XXXXXX";
  const int fd = mkstemp(err_path);
  REQUIRE(fd >= 0);
  close(fd);
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a chain of +.
  std::string command = "'";
  command.append(app_path().string()).append("' ").append(arguments);
  command.append(" 2>'").append(err_path).append("'");
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  AppRun run{-1, "", ""};
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.out.append(buffer, count);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err_file(err_path);
  std::stringstream err;
  err << err_file.rdbuf();
  run.err = err.str();
  std::remove(err_path);
  return run;
}

std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const std::size_t start = text.rfind('\n');
  return start == std::string::npos ? text : text.substr(start + 1);
}

// The number after "key": in a flat JSON object; NaN when absent or null.
double json_number(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = json.find(needle);
  if (at == std::string::npos) return std::nan("");
  const std::string rest = json.substr(at + needle.size());
  if (rest.starts_with("null")) return std::nan("");
  return std::strtod(rest.c_str(), nullptr);
}

}  // namespace

TEST_CASE("dp_accountant epsilon prints the RDP epsilon and a JSON line", "[privacy][cli]") {
  const AppRun run =
      run_app("epsilon --sample-rate 0.0033333333333333335 --sigma 1 --steps 3000 --delta 1e-5 --accountant rdp --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK(run.err.empty());
  CHECK(run.out.find("epsilon             1.21") != std::string::npos);
  const std::string json = last_line(run.out);
  CHECK(json.starts_with("{\"command\":\"epsilon\""));
  CHECK(json.find("\"accountant\":\"rdp\"") != std::string::npos);
  CHECK(json_number(json, "epsilon") == Approx(1.2117).margin(1e-3));
  CHECK(json_number(json, "best_order") == 10.5);
  CHECK(json_number(json, "sigma") == 1.0);
  CHECK(json_number(json, "steps") == 3000);
  CHECK(json_number(json, "delta") == 1e-5);
}

TEST_CASE("dp_accountant epsilon without --accountant prints every accountant side by side", "[privacy][cli]") {
  const AppRun run = run_app("epsilon --sample-rate 0.0033333333333333335 --sigma 1 --steps 3000 --delta 1e-5 --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK(run.err.empty());
  CHECK(run.out.find("accountant          rdp, prv and pld side by side") != std::string::npos);
  CHECK(run.out.find("epsilon (rdp)       1.21") != std::string::npos);
  CHECK(run.out.find("epsilon (prv)       0.96") != std::string::npos);
  CHECK(run.out.find("epsilon (pld)       0.95") != std::string::npos);
  CHECK(run.out.find("epsilon (gdp)       0.88") != std::string::npos);
  CHECK(run.out.find("not a guarantee") != std::string::npos);
  CHECK(run.out.find("smallest certified bound, from pld") != std::string::npos);
  const std::string json = last_line(run.out);
  CHECK(json.find("\"accountant\":\"all\"") != std::string::npos);
  CHECK(json.find("\"epsilon_from\":\"pld\"") != std::string::npos);
  CHECK(json_number(json, "epsilon_rdp") == Approx(1.2117).margin(1e-3));
  CHECK(json_number(json, "best_order") == 10.5);
  CHECK(json_number(json, "epsilon_pld") < json_number(json, "epsilon_prv"));
  CHECK(json_number(json, "epsilon_prv") < json_number(json, "epsilon_rdp"));
  CHECK(json_number(json, "epsilon") == json_number(json, "epsilon_pld"));
  CHECK(json_number(json, "epsilon_gdp_approximation") < json_number(json, "epsilon_pld"));

  // A delta too small for the FFT grids: those columns say why, rdp still answers.
  const AppRun tiny = run_app("epsilon --sample-rate 0.01 --sigma 1 --steps 1000 --delta 1e-13 --json");
  INFO(tiny.out << tiny.err);
  REQUIRE(tiny.status == 0);
  CHECK(tiny.out.find("epsilon (pld)       unavailable: delta 1e-13 is too small for the pld accountant") !=
        std::string::npos);
  CHECK(tiny.out.find("smallest certified bound, from rdp") != std::string::npos);
  CHECK(json_number(last_line(tiny.out), "epsilon") == json_number(last_line(tiny.out), "epsilon_rdp"));
  CHECK(std::isnan(json_number(last_line(tiny.out), "epsilon_pld")));
}

TEST_CASE("dp_accountant runs the PLD accountant in both commands", "[privacy][cli]") {
  const AppRun run = run_app("epsilon --sample-rate 0.0033333333333333335 --sigma 1 --steps 3000 --delta 1e-5 --accountant pld --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK(run.out.find("accountant          pld") != std::string::npos);
  const std::string json = last_line(run.out);
  CHECK(json.find("\"accountant\":\"pld\"") != std::string::npos);
  CHECK(json.find("\"best_order\":null") != std::string::npos);
  CHECK(json_number(json, "epsilon") == Approx(0.9513).margin(1e-3));

  const AppRun sigma = run_app("sigma --target-epsilon 2 --delta 1e-5 --sample-rate 0.01 --steps 1000 --accountant pld --json");
  INFO(sigma.out << sigma.err);
  REQUIRE(sigma.status == 0);
  const AppRun rdp_sigma = run_app("sigma --target-epsilon 2 --delta 1e-5 --sample-rate 0.01 --steps 1000 --json");
  REQUIRE(rdp_sigma.status == 0);
  CHECK(json_number(last_line(sigma.out), "epsilon") <= 2.0);
  CHECK(json_number(last_line(sigma.out), "sigma") < json_number(last_line(rdp_sigma.out), "sigma"));
  CHECK(last_line(rdp_sigma.out).find("\"accountant\":\"rdp\"") != std::string::npos);

  // A delta its grid cannot certify: one plain line, exit 1.
  const AppRun tiny = run_app("epsilon --sample-rate 0.01 --sigma 1 --steps 1000 --delta 1e-13 --accountant pld");
  CHECK(tiny.status == 1);
  CHECK(tiny.out.empty());
  CHECK(tiny.err.find("delta 1e-13 is too small for the pld accountant") != std::string::npos);
  CHECK(std::count(tiny.err.begin(), tiny.err.end(), '\n') == 1);
}

TEST_CASE("dp_accountant derives q and steps from dataset, batch and epochs as the trainer does", "[privacy][cli]") {
  // ceil(60000 / 256) = 235 steps per epoch at q = 1/235, as DPDataLoader samples.
  const AppRun run = run_app("epsilon --dataset-size 60000 --batch-size 256 --epochs 1 --sigma 1.1 --delta=1e-5 --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  const std::string json = last_line(run.out);
  CHECK(json_number(json, "steps") == 235);
  CHECK(json_number(json, "sample_rate") == 1.0 / 235);
  CHECK(json_number(json, "dataset_size") == 60000);
  CHECK(json_number(json, "epsilon") > 0.0);

  // The trainer's loader for the same N and B, over E epochs.
  for (const auto& [n, b, epochs] : {std::tuple{1000, 300, 2.5}, std::tuple{200, 30, 1.0}, std::tuple{60000, 200, 10.0}}) {
    const auto dataset = std::make_shared<veil::data::TensorDataset>(veil::Tensor::zeros({n, 1}),
                                                                     veil::Tensor::zeros({n}, veil::DType::Int64));
    const veil::data::DPDataLoader trained(veil::data::DataLoader(dataset, b, true, false, 0), 0);
    const AppRun r = run_app("epsilon --dataset-size " + std::to_string(n) + " --batch-size " + std::to_string(b) +
                             " --epochs " + std::to_string(epochs) + " --sigma 1 --delta 1e-5 --json");
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    const std::string line = last_line(r.out);
    CHECK(json_number(line, "sample_rate") == trained.sample_rate());
    CHECK(json_number(line, "steps") == std::ceil(epochs * double(trained.steps_per_epoch())));
  }
}

TEST_CASE("dp_accountant runs the PRV and GDP accountants", "[privacy][cli]") {
  const AppRun prv = run_app("epsilon --sample-rate 0.0033333333333333335 --sigma 1 --steps 3000 --delta 1e-5 --accountant=prv --json");
  INFO(prv.out << prv.err);
  REQUIRE(prv.status == 0);
  const std::string json = last_line(prv.out);
  CHECK(json.find("\"accountant\":\"prv\"") != std::string::npos);
  CHECK(json.find("\"best_order\":null") != std::string::npos);
  CHECK(json_number(json, "epsilon") < 1.0);
  CHECK(json_number(json, "epsilon") > 0.9);

  const AppRun gdp = run_app("epsilon --sample-rate 0.01 --sigma 1 --steps 100 --delta 1e-5 --accountant gdp");
  REQUIRE(gdp.status == 0);
  CHECK(gdp.out.find("can underestimate") != std::string::npos);
}

TEST_CASE("dp_accountant prv bounds the exact Gaussian mechanism at sigma 0.01", "[privacy][cli]") {
  // Exact epsilon 5425.5; the privacy loss lies far past e^709, where PRV
  // once cut it and printed 709.79.
  const AppRun run = run_app("epsilon --sample-rate 1 --sigma 0.01 --steps 1 --delta 1e-5 --accountant prv --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  const double epsilon = json_number(last_line(run.out), "epsilon");
  CHECK(epsilon >= 5425.5);
  CHECK(epsilon < 5425.6);
}

TEST_CASE("dp_accountant reports noise too small to account with exit 1 or infinity", "[privacy][cli]") {
  const AppRun prv = run_app("epsilon --sample-rate 1 --sigma 1e-160 --steps 1 --delta 1e-5 --accountant prv");
  CHECK(prv.status == 1);
  CHECK(prv.out.empty());
  CHECK(prv.err.find("noise multiplier 1e-160") != std::string::npos);
  CHECK(std::count(prv.err.begin(), prv.err.end(), '\n') == 1);
  const AppRun rdp = run_app("epsilon --sample-rate 0.5 --sigma 1e-160 --steps 1 --delta 1e-5 --accountant rdp");
  INFO(rdp.out << rdp.err);
  REQUIRE(rdp.status == 0);
  CHECK(rdp.out.find("epsilon             inf\n") != std::string::npos);
}

TEST_CASE("dp_accountant sigma calibrates without overshooting", "[privacy][cli]") {
  const AppRun run = run_app("sigma --target-epsilon 2 --delta 1e-5 --sample-rate 0.01 --steps 1000 --json");
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  const std::string json = last_line(run.out);
  CHECK(json.starts_with("{\"command\":\"sigma\""));
  CHECK(json_number(json, "target_epsilon") == 2.0);
  CHECK(json_number(json, "sigma") > 0.5);
  CHECK(json_number(json, "epsilon") <= 2.0);
  CHECK(json_number(json, "epsilon") >= 1.98);
}

TEST_CASE("dp_accountant help exits 0", "[privacy][cli]") {
  const AppRun overview = run_app("--help");
  CHECK(overview.status == 0);
  CHECK(overview.out.find("usage: dp_accountant <command>") != std::string::npos);
  const AppRun epsilon_help = run_app("epsilon --help");
  CHECK(epsilon_help.status == 0);
  CHECK(epsilon_help.out.find("--sample-rate Q") != std::string::npos);
  CHECK(epsilon_help.out.find("rdp, prv, pld or gdp") != std::string::npos);
  CHECK(epsilon_help.out.find("all certified ones side by side") != std::string::npos);
  CHECK(overview.out.find("pld is the") != std::string::npos);
  const AppRun sigma_help = run_app("sigma --sigma --help");
  CHECK(sigma_help.status == 0);
  CHECK(sigma_help.out.find("--target-epsilon E") != std::string::npos);
}

TEST_CASE("dp_accountant rejects bad arguments with one line and exit 2", "[privacy][cli]") {
  const std::string good_tail = " --steps 100 --delta 1e-5";
  struct Case {
    std::string arguments;
    std::string mentions;
  };
  for (const Case& c : {
           Case{"epsilon --sample-rate 0 --sigma 1" + good_tail, "--sample-rate"},
           Case{"epsilon --sample-rate 1.5 --sigma 1" + good_tail, "--sample-rate"},
           Case{"epsilon --sample-rate 0.01 --sigma 0" + good_tail, "--sigma"},
           Case{"epsilon --sample-rate 0.01 --sigma -1" + good_tail, "--sigma"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --steps 100 --delta 0", "--delta"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --steps 100 --delta 1", "--delta"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --steps -1 --delta 1e-5", "--steps"},
           Case{"epsilon --sample-rate 0.01 --sigma 1" + good_tail + " --accountant moments", "--accountant"},
           Case{"epsilon --sample-rate 0.01 --sigma 1" + good_tail + " --frobnicate", "--frobnicate"},
           Case{"epsilon --sample-rate 0.01" + good_tail + " --sigma", "--sigma"},
           Case{"epsilon --sample-rate 0.01 --sigma --steps 100 --delta 1e-5", "--sigma"},
           Case{"epsilon --sample-rate 0.01 --sigma abc" + good_tail, "'abc'"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --steps 1.5 --delta 1e-5", "--steps"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --steps 100", "--delta"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --sigma 2" + good_tail, "--sigma"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --epochs 2" + good_tail, "not both"},
           Case{"epsilon --sigma 1 --delta 1e-5", "missing schedule"},
           Case{"epsilon --dataset-size 100 --batch-size 200 --epochs 1 --sigma 1 --delta 1e-5", "--batch-size"},
           Case{"epsilon --dataset-size 100 --batch-size 10 --epochs 1e300 --sigma 1 --delta 1e-5", "--epochs 1e+300"},
           Case{"epsilon --sample-rate 0.01 --sigma 1 --json=yes" + good_tail, "--json"},
           Case{"epsilon stray --sample-rate 0.01 --sigma 1" + good_tail, "'stray'"},
           Case{"sigma --target-epsilon 0 --sample-rate 0.01" + good_tail, "--target-epsilon"},
           Case{"sigma --target-epsilon 1 --sample-rate 0.01 --steps 0 --delta 1e-5", "--steps"},
           Case{"", "missing command"},
           Case{"delta --sigma 1", "unknown command"},
       }) {
    const AppRun run = run_app(c.arguments);
    INFO("arguments: " << c.arguments << "\nstdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.status == 2);
    CHECK(run.out.empty());
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(run.err.find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("dp_accountant reports an unreachable target with exit 1", "[privacy][cli]") {
  const AppRun run = run_app("sigma --target-epsilon 0.01 --delta 1e-5 --sample-rate 0.01 --steps 100");
  CHECK(run.status == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find("out of reach") != std::string::npos);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
}
