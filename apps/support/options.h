#pragma once
// The apps' command-line options, declared on a CLI11 app with veil's rules:
//
//   CLI::App app{"Epsilon spent by a DP-SGD run.", "dp_accountant epsilon"};
//   double sigma = 0.0;
//   veil::cli::add_option(app, "--sigma", sigma, "S", "noise multiplier");
//   if (veil::cli::parse_or_help(app, args)) return 0;    // printed --help
//   if (!veil::cli::given(app, "--sigma")) throw veil::cli::UsageError("missing --sigma");
//
// Accepted forms: `--name value` and `--name=value` for options, `--name` for
// flags. A value may be negative (`--sigma -1` reaches the range check);
// empty values, values given to a flag and repeated options are refused.
//
// Numbers are read strictly, all of the text or nothing: a number is a finite
// decimal ("0.1", "-2", "1e-5"); an integer is an int64 in decimal, or an
// exact integer in floating notation ("1e5"). "3abc", " 1", "1.5" for an
// integer, "inf" and values beyond int64 are refused with a message naming
// the option and the text. Range checks are the app's, after parsing.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace veil::cli {

// A problem with the command line found by veil rather than by CLI11 (a value
// that does not parse or is out of range, two flags that exclude each other):
// like CLI::ParseError, it ends the app with exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Declares `name` (e.g. "--epochs") taking a value, shown as "--epochs N" in
// the help. `value` keeps its initial value unless the option is given.
// default_text, when not empty, is shown as "(default: ...)".
CLI::Option* add_option(CLI::App& app, const std::string& name, std::string& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text = "");
CLI::Option* add_option(CLI::App& app, const std::string& name, double& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text = "");
CLI::Option* add_option(CLI::App& app, const std::string& name, std::int64_t& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text = "");
// Seeds: read as an int64, stored as its two's-complement uint64.
CLI::Option* add_option(CLI::App& app, const std::string& name, std::uint64_t& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text = "");

// Declares a flag without value: `value` becomes true when given.
CLI::Option* add_flag(CLI::App& app, const std::string& name, bool& value, const std::string& help);

// The strict readers above, for values an app reads itself (a list item, an
// option that is a number or a word). Throw UsageError naming `name`.
double parse_number(const std::string& name, const std::string& text);
std::int64_t parse_integer(const std::string& name, const std::string& text);

// True when the option or flag `name` was on the command line.
bool given(const CLI::App& app, const std::string& name);

// Parses args (without the program name) into app. When --help or -h is
// among them, writes the help to `help` instead, whatever else is on the
// line, and returns true (the caller then exits 0). Unknown options and stray
// words are UsageErrors naming the first of them.
bool parse_or_help(CLI::App& app, const std::vector<std::string>& args, std::ostream& help = std::cout);

}  // namespace veil::cli
