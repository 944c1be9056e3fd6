#include "support/cli.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <system_error>

namespace veil::cli {

namespace {

// Parses all of `text` as T; false on any leftover or malformed character.
template <typename T>
bool parse_whole(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

bool is_flag_like(const std::string& arg) { return arg.size() > 2 && arg.starts_with("--"); }

}  // namespace

std::vector<std::string> arguments(int argc, const char* const* argv, int first) {
  std::vector<std::string> args;
  for (int i = first; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

ArgParser::ArgParser(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {
  flag("help", "show this help and exit");
}

ArgParser& ArgParser::option(const std::string& name, const std::string& value_name,
                             const std::string& help, const std::string& default_text) {
  if (value_name.empty()) throw std::logic_error("option --" + name + " needs a value name");
  specs_.push_back({name, value_name, help, default_text});
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, ""});
  return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
  const auto found = std::find_if(specs_.begin(), specs_.end(),
                                  [&](const Spec& spec) { return spec.name == name; });
  return found == specs_.end() ? nullptr : &*found;
}

const ArgParser::Spec& ArgParser::declared(const std::string& name) const {
  const Spec* spec = find(name);
  // Asking for an undeclared name is a bug in the app, not a user error.
  if (spec == nullptr) throw std::logic_error("option --" + name + " was never declared");
  return *spec;
}

void ArgParser::parse(const std::vector<std::string>& args) {
  values_.clear();
  // --help wins over every other problem on the line.
  if (std::any_of(args.begin(), args.end(),
                  [](const std::string& arg) { return arg == "--help" || arg == "-h"; })) {
    values_["help"] = "";
    return;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!is_flag_like(arg)) throw UsageError("unexpected argument '" + arg + "'");
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const Spec* spec = find(name);
    if (spec == nullptr) throw UsageError("unknown option --" + name);
    if (values_.count(name)) throw UsageError("--" + name + " given more than once");
    if (spec->value_name.empty()) {
      if (equals != std::string::npos) throw UsageError("--" + name + " takes no value");
      values_[name] = "";
      continue;
    }
    std::string text;
    if (equals != std::string::npos) {
      text = arg.substr(equals + 1);
    } else if (i + 1 < args.size() && !is_flag_like(args[i + 1])) {
      text = args[++i];
    }
    if (text.empty()) throw UsageError("missing value for --" + name);
    values_[name] = text;
  }
}

bool ArgParser::has(const std::string& name) const {
  declared(name);  // a typo in the app's own code must not read as "not given"
  return values_.count(name) > 0;
}

const std::string& ArgParser::value(const std::string& name) const {
  if (declared(name).value_name.empty()) throw std::logic_error("--" + name + " is a flag, not an option");
  const auto found = values_.find(name);
  if (found == values_.end()) throw UsageError("missing required option --" + name);
  return found->second;
}

std::string ArgParser::get_string(const std::string& name) const { return value(name); }

std::string ArgParser::get_string(const std::string& name, const std::string& fallback) const {
  return has(name) ? value(name) : fallback;
}

double ArgParser::get_double(const std::string& name) const {
  const std::string& text = value(name);
  double number = 0.0;
  if (!parse_whole(text, number) || !std::isfinite(number)) {
    throw UsageError("--" + name + " expects a number, got '" + text + "'");
  }
  return number;
}

double ArgParser::get_double(const std::string& name, double fallback) const {
  return has(name) ? get_double(name) : fallback;
}

std::int64_t ArgParser::get_int(const std::string& name) const {
  const std::string& text = value(name);
  std::int64_t integer = 0;
  if (parse_whole(text, integer)) return integer;
  // Also accept exact integers in floating notation, such as 1e5.
  double number = 0.0;
  constexpr double kLimit = 9.2e18;  // inside int64 range
  if (parse_whole(text, number) && number == std::floor(number) && std::abs(number) < kLimit) {
    return std::int64_t(number);
  }
  throw UsageError("--" + name + " expects an integer, got '" + text + "'");
}

std::int64_t ArgParser::get_int(const std::string& name, std::int64_t fallback) const {
  return has(name) ? get_int(name) : fallback;
}

std::string ArgParser::help() const {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const Spec& spec : specs_) {
    left.push_back("--" + spec.name + (spec.value_name.empty() ? "" : " " + spec.value_name));
    width = std::max(width, left.back().size());
  }
  std::string text = "usage: " + usage_ + "\n\n" + description_ + "\n\noptions:\n";
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    text += "  " + left[i] + std::string(width - left[i].size() + 2, ' ') + specs_[i].help;
    if (!specs_[i].default_text.empty()) text += " (default: " + specs_[i].default_text + ")";
    text += "\n";
  }
  return text;
}

bool parse_or_help(ArgParser& parser, const std::vector<std::string>& args) {
  parser.parse(args);
  if (!parser.has("help")) return false;
  std::cout << parser.help();
  return true;
}

int guarded_main(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& error) {
    std::cout << std::flush;
    std::cerr << program << ": " << error.what() << " (see " << program << " --help)\n";
    return 2;
  } catch (const std::exception& error) {
    std::cout << std::flush;
    std::cerr << program << ": error: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace veil::cli
