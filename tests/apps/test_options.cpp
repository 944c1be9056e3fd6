// The apps' option rules (apps/support/options.h) on CLI11: what parses, and
// which message names the option when it does not.
#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "support/options.h"

namespace {

struct Parsed {
  std::int64_t epochs = 10;
  double sigma = 1.0;
  std::string data;
  std::uint64_t seed = 0;
  bool json = false;
  bool help = false;
};

// Parses `args` with --epochs, --sigma, --data, --seed and the flag --json.
Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  CLI::App app{"test", "test"};
  veil::cli::add_option(app, "--epochs", p.epochs, "N", "epochs", "10");
  veil::cli::add_option(app, "--sigma", p.sigma, "S", "noise multiplier");
  veil::cli::add_option(app, "--data", p.data, "DIR", "directory");
  veil::cli::add_option(app, "--seed", p.seed, "N", "seed");
  veil::cli::add_flag(app, "--json", p.json, "print JSON");
  std::ostringstream help;
  p.help = veil::cli::parse_or_help(app, args, help);
  if (p.help) REQUIRE(help.str().find("--epochs N") != std::string::npos);
  return p;
}

// The message of the usage error `args` cause (CLI11's or veil's).
std::string refusal(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const veil::cli::UsageError& error) {
    return error.what();
  } catch (const CLI::ParseError& error) {
    return error.what();
  }
  FAIL("accepted: " << Catch::Detail::stringify(args));
  return "";
}

}  // namespace

TEST_CASE("options keep their defaults and take both spellings", "[apps]") {
  const Parsed defaults = parse({});
  CHECK(defaults.epochs == 10);
  CHECK(defaults.sigma == 1.0);
  const Parsed given = parse({"--epochs=3", "--sigma", "-0.5", "--data", "d", "--json", "--seed", "-1"});
  CHECK(given.epochs == 3);
  CHECK(given.sigma == -0.5);  // negative numbers are values, refused by range checks
  CHECK(given.data == "d");
  CHECK(given.json);
  CHECK(given.seed == UINT64_MAX);  // seeds wrap, as they always have
  CHECK(parse({"--epochs", "1e5"}).epochs == 100000);  // an exact integer in floating notation
  CHECK(parse({"--sigma", "1e-5"}).sigma == 1e-5);
}

TEST_CASE("--help wins over every other problem on the line", "[apps]") {
  CHECK(parse({"--epochs", "x", "--bogus", "-h"}).help);
  CHECK(parse({"--help"}).help);
}

TEST_CASE("bad command lines are refused naming the option", "[apps]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--epochs", "3abc"}, "--epochs expects an integer, got '3abc'"},
      {{"--epochs", " 1"}, "--epochs expects an integer, got ' 1'"},
      {{"--epochs", "1.5"}, "--epochs expects an integer, got '1.5'"},
      {{"--epochs", "true"}, "--epochs expects an integer, got 'true'"},
      {{"--epochs", "9223372036854775808"}, "--epochs expects an integer"},
      {{"--epochs", "1e19"}, "--epochs expects an integer"},
      {{"--sigma", "abc"}, "--sigma expects a number, got 'abc'"},
      {{"--sigma", "inf"}, "--sigma expects a number, got 'inf'"},
      {{"--sigma", "+1"}, "--sigma expects a number, got '+1'"},
      {{"--sigma"}, "missing value for --sigma"},
      {{"--sigma", "--epochs", "2"}, "missing value for --sigma"},
      {{"--data="}, "missing value for --data"},
      {{"--sigma", "1", "--sigma", "2"}, "--sigma given more than once"},
      {{"--json=yes"}, "--json takes no value"},
      {{"--bogus", "3"}, "unknown option --bogus"},
      {{"--bogus=3"}, "unknown option --bogus"},
      {{"stray"}, "unexpected argument 'stray'"},
  };
  for (const auto& [args, message] : cases) {
    INFO(Catch::Detail::stringify(args));
    CHECK(refusal(args).find(message) != std::string::npos);
  }
}
