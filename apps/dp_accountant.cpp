// dp_accountant: the privacy spent by a DP-SGD schedule, or the noise a
// schedule needs to meet a privacy target.
//
//   dp_accountant epsilon --sample-rate 0.004 --sigma 1.1 --steps 10000 --delta 1e-5
//   dp_accountant epsilon --dataset-size 60000 --batch-size 256 --epochs 60 --sigma 1.1 --delta 1e-5
//   dp_accountant epsilon --sample-rate 0.004 --sigma 1.1 --steps 10000 --delta 1e-5 --accountant pld
//   dp_accountant sigma --target-epsilon 3 --delta 1e-5 --sample-rate 0.004 --steps 10000
//
// Without --accountant, epsilon prints every certified accountant side by
// side (and gdp's approximation, labelled as such); sigma calibrates with rdp.
//
// Exit status: 0 on success, 2 for bad arguments, 1 when the computation
// itself fails (e.g. a target no noise level reaches).
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/app_main.h"
#include "veil/core/error.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/data/poisson_schedule.h"

namespace {

using veil::cli::add_option;
using veil::cli::given;
using veil::cli::UsageError;
using Json = nlohmann::ordered_json;
namespace privacy = veil::privacy;

constexpr const char* kProgram = "dp_accountant";

const char* const kOverview =
    "usage: dp_accountant <command> [options]\n"
    "\n"
    "Privacy accounting for DP-SGD with Poisson sampling and Gaussian noise.\n"
    "\n"
    "commands:\n"
    "  epsilon   epsilon spent by a schedule (sample rate, noise multiplier, steps)\n"
    "  sigma     smallest noise multiplier that keeps a schedule within a target epsilon\n"
    "\n"
    "A schedule is given either as --sample-rate Q --steps N, or as --dataset-size N\n"
    "--batch-size B --epochs E, which means what mnist_dp_ddp and make_private train:\n"
    "epochs of ceil(N/B) steps at q = 1/ceil(N/B), ceil(E*ceil(N/B)) steps in all.\n"
    "\n"
    "Accountants: rdp, prv and pld give certified upper bounds (pld is the\n"
    "tightest); gdp is a central-limit approximation that can underestimate.\n"
    "Without --accountant, 'epsilon' prints all of them side by side.\n"
    "\n"
    "Run 'dp_accountant <command> --help' for the options of a command.\n";

// The accountants whose epsilon is a guaranteed upper bound.
const std::vector<std::string> kCertified = {"rdp", "prv", "pld"};

void require(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

std::string show(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

// The command line of either command, as given; read_* check it.
struct Arguments {
  double sigma = 0.0, sample_rate = 0.0, epochs = 0.0, delta = 0.0, target_epsilon = 0.0, tolerance = 1e-3;
  std::int64_t steps = 0, dataset_size = 0, batch_size = 0;
  std::string accountant = "rdp";
  bool json = false;
};

void add_schedule_options(CLI::App& app, Arguments& a, const std::string& accountant_default) {
  add_option(app, "--sample-rate", a.sample_rate, "Q", "Poisson sample rate q in (0, 1]");
  add_option(app, "--steps", a.steps, "N", "number of steps");
  add_option(app, "--dataset-size", a.dataset_size, "N", "dataset size (instead of --sample-rate/--steps)");
  add_option(app, "--batch-size", a.batch_size, "B", "expected batch size");
  add_option(app, "--epochs", a.epochs, "E", "number of epochs (may be fractional)");
  add_option(app, "--delta", a.delta, "D", "target delta in (0, 1)")->required();
  add_option(app, "--accountant", a.accountant, "NAME", "rdp, prv, pld or gdp (gdp is an approximation)",
             accountant_default);
  veil::cli::add_flag(app, "--json", a.json, "also print one JSON object on the last line");
}

// An option a command cannot do without, once the others say which it needs.
void need(const CLI::App& app, const std::string& name) {
  require(given(app, name), "missing required option " + name);
}

struct Schedule {
  double sample_rate;
  std::int64_t steps;
  bool from_epochs;
  std::int64_t dataset_size;
  std::int64_t batch_size;
  double epochs;
};

Schedule read_schedule(const CLI::App& app, const Arguments& a) {
  const bool direct = given(app, "--sample-rate") || given(app, "--steps");
  const bool by_epochs = given(app, "--dataset-size") || given(app, "--batch-size") || given(app, "--epochs");
  require(!(direct && by_epochs),
          "give either --sample-rate and --steps, or --dataset-size, --batch-size and --epochs, not both");
  require(direct || by_epochs,
          "missing schedule: give --sample-rate and --steps, or --dataset-size, --batch-size and --epochs");
  Schedule schedule{0.0, 0, by_epochs, 0, 0, 0.0};
  if (direct) {
    need(app, "--sample-rate");
    need(app, "--steps");
    schedule.sample_rate = a.sample_rate;
    schedule.steps = a.steps;
  } else {
    for (const char* name : {"--dataset-size", "--batch-size", "--epochs"}) need(app, name);
    schedule.dataset_size = a.dataset_size;
    schedule.batch_size = a.batch_size;
    schedule.epochs = a.epochs;
    require(schedule.dataset_size >= 1,
            "--dataset-size must be >= 1, got " + std::to_string(schedule.dataset_size));
    require(schedule.batch_size >= 1 && schedule.batch_size <= schedule.dataset_size,
            "--batch-size must lie in [1, dataset size], got " + std::to_string(schedule.batch_size));
    require(schedule.epochs >= 0.0, "--epochs must be >= 0, got " + show(schedule.epochs));
    // The trainer's rule, so that this predicts what a run spends.
    const privacy::PoissonSchedule trained = privacy::poisson_schedule(schedule.dataset_size, schedule.batch_size);
    require(schedule.epochs * static_cast<double>(trained.steps_per_epoch) < 9.2e18,
            "--epochs " + show(schedule.epochs) + " makes more steps than a step count can hold");
    schedule.sample_rate = trained.sample_rate;
    schedule.steps = trained.steps(schedule.epochs);
  }
  require(schedule.sample_rate > 0.0 && schedule.sample_rate <= 1.0,
          "--sample-rate must lie in (0, 1], got " + show(schedule.sample_rate));
  require(schedule.steps >= 0, "--steps must be >= 0, got " + std::to_string(schedule.steps));
  return schedule;
}

double read_delta(const Arguments& a) {
  const double delta = a.delta;
  require(delta > 0.0 && delta < 1.0, "--delta must lie in (0, 1), got " + show(delta));
  return delta;
}

std::string read_accountant_name(const Arguments& a) {
  const std::string& name = a.accountant;
  try {
    privacy::make_accountant(name);
  } catch (const veil::Error&) {
    throw UsageError("--accountant must be rdp, prv, pld or gdp, got '" + name + "'");
  }
  return name;
}

privacy::EpsilonResult epsilon_of(const std::string& accountant_name, double sigma,
                                  const Schedule& schedule, double delta) {
  auto accountant = privacy::make_accountant(accountant_name);
  accountant->step(sigma, schedule.sample_rate, schedule.steps);
  return accountant->get_epsilon(delta);
}

void print_inputs(const std::string& accountant_name, const Schedule& schedule, double delta) {
  if (schedule.from_epochs) {
    std::cout << "dataset size        " << schedule.dataset_size << "\n"
              << "batch size          " << schedule.batch_size << "\n"
              << "epochs              " << show(schedule.epochs) << "\n";
  }
  std::cout << "accountant          " << accountant_name << "\n"
            << "sample rate q       " << show(schedule.sample_rate) << "\n"
            << "steps               " << schedule.steps << "\n"
            << "delta               " << show(delta) << "\n";
}

void print_epsilon(const privacy::EpsilonResult& result, const std::string& accountant_name) {
  std::cout << "epsilon             " << show(result.epsilon);
  if (!std::isnan(result.best_order)) std::cout << "  (best Renyi order " << show(result.best_order) << ")";
  std::cout << "\n";
  if (accountant_name == "gdp") {
    std::cout << "note: gdp is a central-limit approximation and can underestimate epsilon;\n"
                 "      use rdp, prv or pld for a guarantee\n";
  }
}

// The JSON line starts with the command and its inputs, in this order.
// Epsilons and orders that do not exist (NaN) or have no finite value are
// null, which is what nlohmann writes for them.
Json json_inputs(const std::string& command, const std::string& accountant_name, const Schedule& schedule,
                 double delta) {
  Json json = {{"command", command},
               {"accountant", accountant_name},
               {"sample_rate", schedule.sample_rate},
               {"steps", schedule.steps}};
  if (schedule.from_epochs) {
    json["dataset_size"] = schedule.dataset_size;
    json["batch_size"] = schedule.batch_size;
    json["epochs"] = schedule.epochs;
  }
  json["delta"] = delta;
  return json;
}

// One accountant's answer in the side-by-side table; `error` is set instead of
// `result` when that accountant cannot certify the schedule (e.g. a delta too
// small for its grid).
struct Row {
  std::string name;
  privacy::EpsilonResult result;
  std::string error;
};

std::string padded(const std::string& label) { return label + std::string(label.size() < 20 ? 20 - label.size() : 1, ' '); }

// Every certified accountant, then gdp's approximation; the headline epsilon
// is the smallest certified one (each is an upper bound, so their minimum is).
int print_side_by_side(double sigma, const Schedule& schedule, double delta, bool json_line) {
  std::vector<Row> rows;
  for (const std::string& name : kCertified) {
    try {
      rows.push_back({name, epsilon_of(name, sigma, schedule, delta), ""});
    } catch (const veil::Error& error) {
      rows.push_back({name, {std::nan(""), std::nan("")}, error.what()});
    }
  }
  const Row* best = nullptr;
  for (const Row& row : rows) {
    if (row.error.empty() && (best == nullptr || row.result.epsilon < best->result.epsilon)) best = &row;
  }
  if (best == nullptr) throw veil::Error(rows.front().error);
  const privacy::EpsilonResult gdp = epsilon_of("gdp", sigma, schedule, delta);

  print_inputs("rdp, prv and pld side by side", schedule, delta);
  std::cout << "noise multiplier    " << show(sigma) << "\n";
  for (const Row& row : rows) {
    std::cout << padded("epsilon (" + row.name + ")");
    if (!row.error.empty()) {
      std::cout << "unavailable: " << row.error << "\n";
      continue;
    }
    std::cout << show(row.result.epsilon);
    if (!std::isnan(row.result.best_order)) std::cout << "  (best Renyi order " << show(row.result.best_order) << ")";
    std::cout << "\n";
  }
  std::cout << padded("epsilon (gdp)") << show(gdp.epsilon)
            << "  (approximation, not a guarantee: can underestimate)\n"
            << "epsilon             " << show(best->result.epsilon) << "  (smallest certified bound, from "
            << best->name << ")\n";
  if (json_line) {
    Json json = json_inputs("epsilon", "all", schedule, delta);
    json["sigma"] = sigma;
    json["epsilon"] = best->result.epsilon;
    json["epsilon_from"] = best->name;
    for (const Row& row : rows) {
      json["epsilon_" + row.name] = row.result.epsilon;
      if (row.name == "rdp") json["best_order"] = row.result.best_order;
    }
    json["epsilon_gdp_approximation"] = gdp.epsilon;
    std::cout << json.dump() << "\n";
  }
  return 0;
}

int run_epsilon(const std::vector<std::string>& args) {
  CLI::App app{"Epsilon spent by DP-SGD with Poisson sample rate q, noise multiplier sigma\n"
               "(noise std / clipping norm) and the given number of steps, at delta.",
               std::string(kProgram) + " epsilon"};
  Arguments a;
  add_option(app, "--sigma", a.sigma, "S", "noise multiplier > 0")->required();
  add_schedule_options(app, a, "all certified ones side by side");
  if (veil::cli::parse_or_help(app, args)) return 0;
  const Schedule schedule = read_schedule(app, a);
  const double sigma = a.sigma;
  require(sigma > 0.0, "--sigma must be > 0, got " + show(sigma));
  const double delta = read_delta(a);
  if (!given(app, "--accountant")) return print_side_by_side(sigma, schedule, delta, a.json);
  const std::string accountant_name = read_accountant_name(a);

  const privacy::EpsilonResult result = epsilon_of(accountant_name, sigma, schedule, delta);
  print_inputs(accountant_name, schedule, delta);
  std::cout << "noise multiplier    " << show(sigma) << "\n";
  print_epsilon(result, accountant_name);
  if (a.json) {
    Json json = json_inputs("epsilon", accountant_name, schedule, delta);
    json["sigma"] = sigma;
    json["epsilon"] = result.epsilon;
    json["best_order"] = result.best_order;
    std::cout << json.dump() << "\n";
  }
  return 0;
}

int run_sigma(const std::vector<std::string>& args) {
  CLI::App app{"Smallest noise multiplier for which the schedule stays within target epsilon\n"
               "at delta; the reported sigma was checked and never exceeds the target.",
               std::string(kProgram) + " sigma"};
  Arguments a;
  add_option(app, "--target-epsilon", a.target_epsilon, "E", "target epsilon > 0")->required();
  add_option(app, "--tolerance", a.tolerance, "T", "relative precision of sigma", "0.001");
  add_schedule_options(app, a, "rdp");
  if (veil::cli::parse_or_help(app, args)) return 0;
  const Schedule schedule = read_schedule(app, a);
  require(schedule.steps >= 1, "--steps must be >= 1 to calibrate noise, got " + std::to_string(schedule.steps));
  const double target = a.target_epsilon;
  require(target > 0.0, "--target-epsilon must be > 0, got " + show(target));
  const double tolerance = a.tolerance;
  require(tolerance > 0.0 && tolerance <= 0.5, "--tolerance must lie in (0, 0.5], got " + show(tolerance));
  const double delta = read_delta(a);
  const std::string accountant_name = read_accountant_name(a);

  const double sigma = privacy::noise_for_epsilon(target, delta, schedule.sample_rate, schedule.steps,
                                                  accountant_name, tolerance);
  const privacy::EpsilonResult result = epsilon_of(accountant_name, sigma, schedule, delta);
  print_inputs(accountant_name, schedule, delta);
  std::cout << "target epsilon      " << show(target) << "\n"
            << "noise multiplier    " << show(sigma) << "\n";
  print_epsilon(result, accountant_name);
  if (a.json) {
    Json json = json_inputs("sigma", accountant_name, schedule, delta);
    json["target_epsilon"] = target;
    json["sigma"] = sigma;
    json["epsilon"] = result.epsilon;
    json["best_order"] = result.best_order;
    std::cout << json.dump() << "\n";
  }
  return 0;
}

// The command is the first word, each with its own CLI11 app, so that
// `dp_accountant epsilon --help` lists that command's options alone and the
// overview above keeps its explanation of schedules and accountants.
int run(const std::vector<std::string>& args) {
  require(!args.empty(), "missing command (epsilon or sigma)");
  const std::string& command = args[0];
  if (command == "--help" || command == "-h") {
    std::cout << kOverview;
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "epsilon") return run_epsilon(rest);
  if (command == "sigma") return run_sigma(rest);
  throw UsageError("unknown command '" + command + "' (expected epsilon or sigma)");
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::guarded_main(kProgram, [&] { return run(veil::cli::arguments(argc, argv)); });
}
