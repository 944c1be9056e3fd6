#pragma once
// Command-line parsing shared by veil's apps and benchmarks.
//
//   veil::cli::ArgParser parser("dp_accountant epsilon [options]", "Epsilon spent by a DP-SGD run.");
//   parser.option("sigma", "S", "noise multiplier").flag("json", "print JSON");
//   parser.parse(veil::cli::arguments(argc, argv, 2));    // throws UsageError
//   if (parser.has("help")) { std::cout << parser.help(); return 0; }
//   double sigma = parser.get_double("sigma");            // throws UsageError
//
// Accepted forms: `--name value`, `--name=value` for options, `--name` for
// flags. A value may not start with "--" (so `--sigma --json` reports the
// missing value instead of swallowing the next flag); negative numbers such as
// `-1` are fine. Every parser knows `--help` and `-h`. Positional arguments,
// unknown names, repeated names, a value given to a flag and a missing value
// are all UsageErrors whose message names the offending argument.
//
// Apps print UsageError's message on one line and exit with status 2. Asking
// for a name the app never declared is the app's bug: std::logic_error.
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace veil::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// argv[first], argv[first + 1], ... as strings.
std::vector<std::string> arguments(int argc, const char* const* argv, int first = 1);

class ArgParser {
 public:
  // usage: what follows "usage: " in the help, e.g. "dp_accountant epsilon
  // [options]"; description: a sentence or two printed under it.
  ArgParser(std::string usage, std::string description);

  // Declares an option that takes a value; value_name shows in the help
  // (e.g. "Q"). default_text, when not empty, is shown as "(default: ...)".
  ArgParser& option(const std::string& name, const std::string& value_name,
                    const std::string& help, const std::string& default_text = "");
  // Declares a boolean flag.
  ArgParser& flag(const std::string& name, const std::string& help);

  void parse(const std::vector<std::string>& args);

  // True when the option was given or the flag set.
  bool has(const std::string& name) const;

  // Typed getters for options. Without a fallback they throw UsageError when
  // the option was not given; all throw UsageError naming the option and the
  // text when it does not parse. get_double accepts finite decimal numbers,
  // get_int integers (also written as 1e5 if exact) within int64 range.
  std::string get_string(const std::string& name) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  double get_double(const std::string& name) const;
  double get_double(const std::string& name, double fallback) const;
  std::int64_t get_int(const std::string& name) const;
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;

  // The help text: usage line, description and one aligned line per option.
  std::string help() const;

 private:
  struct Spec {
    std::string name;
    std::string value_name;  // empty for flags
    std::string help;
    std::string default_text;
  };

  const Spec* find(const std::string& name) const;       // nullptr if undeclared
  const Spec& declared(const std::string& name) const;  // throws std::logic_error if undeclared
  const std::string& value(const std::string& name) const;

  std::string usage_;
  std::string description_;
  std::vector<Spec> specs_;                     // in declaration order, for help()
  std::map<std::string, std::string> values_;  // given options and flags ("" for flags)
};

// The body of every app's main(): runs body() and turns a UsageError into
// "program: message (see program --help)" with exit status 2, and any other
// exception into "program: error: message" with status 1, after flushing
// what the program already printed.
int guarded_main(const char* program, const std::function<int()>& body);

// Parses args into parser; when --help was given, prints the help and
// returns true (the caller then exits 0).
bool parse_or_help(ArgParser& parser, const std::vector<std::string>& args);

// main() of an app with one parser: parses argv with make(), prints --help,
// else runs run(read(parser)), all inside guarded_main.
template <typename Make, typename Read, typename Run>
int parse_and_run(const char* program, int argc, const char* const* argv, const Make& make, const Read& read,
                  const Run& run) {
  return guarded_main(program, [&] {
    ArgParser parser = make();
    if (parse_or_help(parser, arguments(argc, argv))) return 0;
    return run(read(parser));
  });
}

}  // namespace veil::cli
