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

#include "support/cli.h"
#include "support/json_line.h"
#include "veil/core/error.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/privacy/poisson_schedule.h"

namespace {

using veil::cli::ArgParser;
using veil::cli::parse_or_help;
using veil::cli::JsonLine;
using veil::cli::UsageError;
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

void add_schedule_options(ArgParser& parser, const std::string& accountant_default) {
  parser.option("sample-rate", "Q", "Poisson sample rate q in (0, 1]")
      .option("steps", "N", "number of steps")
      .option("dataset-size", "N", "dataset size (instead of --sample-rate/--steps)")
      .option("batch-size", "B", "expected batch size")
      .option("epochs", "E", "number of epochs (may be fractional)")
      .option("delta", "D", "target delta in (0, 1)")
      .option("accountant", "NAME", "rdp, prv, pld or gdp (gdp is an approximation)", accountant_default)
      .flag("json", "also print one JSON object on the last line");
}

struct Schedule {
  double sample_rate;
  std::int64_t steps;
  bool from_epochs;
  std::int64_t dataset_size;
  std::int64_t batch_size;
  double epochs;
};

Schedule read_schedule(const ArgParser& parser) {
  const bool direct = parser.has("sample-rate") || parser.has("steps");
  const bool by_epochs = parser.has("dataset-size") || parser.has("batch-size") || parser.has("epochs");
  require(!(direct && by_epochs),
          "give either --sample-rate and --steps, or --dataset-size, --batch-size and --epochs, not both");
  require(direct || by_epochs,
          "missing schedule: give --sample-rate and --steps, or --dataset-size, --batch-size and --epochs");
  Schedule schedule{0.0, 0, by_epochs, 0, 0, 0.0};
  if (direct) {
    schedule.sample_rate = parser.get_double("sample-rate");
    schedule.steps = parser.get_int("steps");
  } else {
    schedule.dataset_size = parser.get_int("dataset-size");
    schedule.batch_size = parser.get_int("batch-size");
    schedule.epochs = parser.get_double("epochs");
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

double read_delta(const ArgParser& parser) {
  const double delta = parser.get_double("delta");
  require(delta > 0.0 && delta < 1.0, "--delta must lie in (0, 1), got " + show(delta));
  return delta;
}

std::string read_accountant_name(const ArgParser& parser) {
  const std::string name = parser.get_string("accountant", "rdp");
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

void add_inputs(JsonLine& json, const std::string& accountant_name, const Schedule& schedule, double delta) {
  json.add("accountant", accountant_name).add("sample_rate", schedule.sample_rate).add("steps", schedule.steps);
  if (schedule.from_epochs) {
    json.add("dataset_size", schedule.dataset_size)
        .add("batch_size", schedule.batch_size)
        .add("epochs", schedule.epochs);
  }
  json.add("delta", delta);
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
    JsonLine json;
    json.add("command", "epsilon");
    add_inputs(json, "all", schedule, delta);
    json.add("sigma", sigma).add("epsilon", best->result.epsilon).add("epsilon_from", best->name);
    for (const Row& row : rows) {
      json.add("epsilon_" + row.name, row.result.epsilon);
      if (row.name == "rdp") json.add("best_order", row.result.best_order);
    }
    json.add("epsilon_gdp_approximation", gdp.epsilon);
    std::cout << json.str() << "\n";
  }
  return 0;
}

int run_epsilon(const std::vector<std::string>& args) {
  ArgParser parser(std::string(kProgram) + " epsilon [options]",
                   "Epsilon spent by DP-SGD with Poisson sample rate q, noise multiplier sigma\n"
                   "(noise std / clipping norm) and the given number of steps, at delta.");
  parser.option("sigma", "S", "noise multiplier > 0");
  add_schedule_options(parser, "all certified ones side by side");
  if (parse_or_help(parser, args)) return 0;
  const Schedule schedule = read_schedule(parser);
  const double sigma = parser.get_double("sigma");
  require(sigma > 0.0, "--sigma must be > 0, got " + show(sigma));
  const double delta = read_delta(parser);
  if (!parser.has("accountant")) return print_side_by_side(sigma, schedule, delta, parser.has("json"));
  const std::string accountant_name = read_accountant_name(parser);

  const privacy::EpsilonResult result = epsilon_of(accountant_name, sigma, schedule, delta);
  print_inputs(accountant_name, schedule, delta);
  std::cout << "noise multiplier    " << show(sigma) << "\n";
  print_epsilon(result, accountant_name);
  if (parser.has("json")) {
    JsonLine json;
    json.add("command", "epsilon");
    add_inputs(json, accountant_name, schedule, delta);
    json.add("sigma", sigma).add("epsilon", result.epsilon).add("best_order", result.best_order);
    std::cout << json.str() << "\n";
  }
  return 0;
}

int run_sigma(const std::vector<std::string>& args) {
  ArgParser parser(std::string(kProgram) + " sigma [options]",
                   "Smallest noise multiplier for which the schedule stays within target epsilon\n"
                   "at delta; the reported sigma was checked and never exceeds the target.");
  parser.option("target-epsilon", "E", "target epsilon > 0")
      .option("tolerance", "T", "relative precision of sigma", "0.001");
  add_schedule_options(parser, "rdp");
  if (parse_or_help(parser, args)) return 0;
  const Schedule schedule = read_schedule(parser);
  require(schedule.steps >= 1, "--steps must be >= 1 to calibrate noise, got " + std::to_string(schedule.steps));
  const double target = parser.get_double("target-epsilon");
  require(target > 0.0, "--target-epsilon must be > 0, got " + show(target));
  const double tolerance = parser.get_double("tolerance", 1e-3);
  require(tolerance > 0.0 && tolerance <= 0.5, "--tolerance must lie in (0, 0.5], got " + show(tolerance));
  const double delta = read_delta(parser);
  const std::string accountant_name = read_accountant_name(parser);

  const double sigma = privacy::noise_for_epsilon(target, delta, schedule.sample_rate, schedule.steps,
                                                  accountant_name, tolerance);
  const privacy::EpsilonResult result = epsilon_of(accountant_name, sigma, schedule, delta);
  print_inputs(accountant_name, schedule, delta);
  std::cout << "target epsilon      " << show(target) << "\n"
            << "noise multiplier    " << show(sigma) << "\n";
  print_epsilon(result, accountant_name);
  if (parser.has("json")) {
    JsonLine json;
    json.add("command", "sigma");
    add_inputs(json, accountant_name, schedule, delta);
    json.add("target_epsilon", target)
        .add("sigma", sigma)
        .add("epsilon", result.epsilon)
        .add("best_order", result.best_order);
    std::cout << json.str() << "\n";
  }
  return 0;
}

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
