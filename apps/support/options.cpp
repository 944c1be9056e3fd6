#include "support/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

namespace veil::cli {

namespace {

// Parses all of `text` as T; false on any leftover or malformed character
// (from_chars takes no leading space or plus sign, unlike strtod).
template <typename T>
bool parse_whole(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

// The value is read by veil's readers, not by CLI11's conversions, which
// take " 1" and "0x10" for integers; `store` gets the text once the whole
// line has been parsed.
template <typename Store>
CLI::Option* add_text_option(CLI::App& app, const std::string& name, const std::string& value_name,
                             const std::string& help, const std::string& default_text, Store store) {
  const std::string described = default_text.empty() ? help : help + " (default: " + default_text + ")";
  return app.add_option_function<std::string>(name, store, described)->option_text(value_name)->type_name(value_name);
}

// Rules CLI11 lacks or words without naming the option, checked first:
// an option's value is not empty and not the next option (CLI11 would take
// `--data --epochs 2` as the directory "--epochs"), a flag takes no value
// (`--json=yes`), and no option is given twice (a second --sigma is a
// mistake, not an override). Unknown names are left to parsing.
void check_names(const CLI::App& app, const std::vector<std::string>& args) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) continue;
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const CLI::Option* option = app.get_option_no_throw(name);
    if (option == nullptr) continue;
    const bool is_flag = option->get_expected_max() == 0;
    if (is_flag && equals != std::string::npos) throw UsageError(name + " takes no value");
    const bool missing = equals == std::string::npos ? i + 1 == args.size() || args[i + 1].starts_with("--")
                                                     : equals + 1 == arg.size();
    if (!is_flag && missing) throw UsageError("missing value for " + name);
    if (!seen.insert(name).second) throw UsageError(name + " given more than once");
  }
}

}  // namespace

double parse_number(const std::string& name, const std::string& text) {
  double number = 0.0;
  if (!parse_whole(text, number) || !std::isfinite(number))
    throw UsageError(name + " expects a number, got '" + text + "'");
  return number;
}

std::int64_t parse_integer(const std::string& name, const std::string& text) {
  std::int64_t integer = 0;
  if (parse_whole(text, integer)) return integer;
  double number = 0.0;
  constexpr double kLimit = 9.2e18;  // inside int64 range
  if (parse_whole(text, number) && number == std::floor(number) && std::abs(number) < kLimit)
    return static_cast<std::int64_t>(number);
  throw UsageError(name + " expects an integer, got '" + text + "'");
}

CLI::Option* add_option(CLI::App& app, const std::string& name, std::string& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text) {
  return add_text_option(app, name, value_name, help, default_text, [&value](const std::string& text) { value = text; });
}

CLI::Option* add_option(CLI::App& app, const std::string& name, double& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text) {
  return add_text_option(app, name, value_name, help, default_text,
                         [&value, name](const std::string& text) { value = parse_number(name, text); });
}

CLI::Option* add_option(CLI::App& app, const std::string& name, std::int64_t& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text) {
  return add_text_option(app, name, value_name, help, default_text,
                         [&value, name](const std::string& text) { value = parse_integer(name, text); });
}

CLI::Option* add_option(CLI::App& app, const std::string& name, std::uint64_t& value, const std::string& value_name,
                        const std::string& help, const std::string& default_text) {
  return add_text_option(app, name, value_name, help, default_text, [&value, name](const std::string& text) {
    value = static_cast<std::uint64_t>(parse_integer(name, text));
  });
}

CLI::Option* add_flag(CLI::App& app, const std::string& name, bool& value, const std::string& help) {
  // --json=yes is refused: CLI11 would read it as "true".
  return app.add_flag(name, value, help)->disable_flag_override();
}

bool given(const CLI::App& app, const std::string& name) { return app.count(name) > 0; }

bool parse_or_help(CLI::App& app, const std::vector<std::string>& args, std::ostream& help) {
  // --help wins over every other problem on the line.
  if (std::any_of(args.begin(), args.end(), [](const std::string& arg) { return arg == "--help" || arg == "-h"; })) {
    help << app.help();
    return true;
  }
  check_names(app, args);
  // Unknown words are collected rather than thrown, so that the message can
  // name them as veil's apps always have.
  app.allow_extras();
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  app.parse(reversed);
  const std::vector<std::string> extra = app.remaining();
  if (extra.empty()) return false;
  const std::string& first = extra.front();
  if (first.starts_with("-")) throw UsageError("unknown option " + first.substr(0, first.find('=')));
  throw UsageError("unexpected argument '" + first + "'");
}

}  // namespace veil::cli
