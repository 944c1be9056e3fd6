#include "support/app_main.h"

#include <iostream>

namespace veil::cli {

std::vector<std::string> arguments(int argc, const char* const* argv, int first) {
  std::vector<std::string> args;
  for (int i = first; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

int guarded_main(const char* program, const std::function<int()>& body) {
  const auto usage = [program](const char* message) {
    std::cout << std::flush;
    std::cerr << program << ": " << message << " (see " << program << " --help)\n";
    return 2;
  };
  try {
    return body();
  } catch (const UsageError& error) {
    return usage(error.what());
  } catch (const CLI::ParseError& error) {
    return usage(error.what());
  } catch (const std::exception& error) {
    std::cout << std::flush;
    std::cerr << program << ": error: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace veil::cli
