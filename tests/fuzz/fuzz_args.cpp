// libFuzzer harness: mnist_dp_ddp's command line (apps/support/
// training_options.h, on CLI11) on arbitrary argument lists (NUL-separated):
// parsing, the checks after it, and the help. CLI::ParseError and UsageError
// are the expected answers to a bad line; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "support/training_options.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') args.emplace_back();
    else args.back() += static_cast<char>(data[i]);
  }
  veil::cli::TrainingOptions options;
  CLI::App app{"", "mnist_dp_ddp"};
  veil::cli::add_training_options(app, options);
  std::ostringstream help;
  try {
    if (!veil::cli::parse_or_help(app, args, help)) veil::cli::check_training_options(app, options);
  } catch (const CLI::ParseError&) {
  } catch (const veil::cli::UsageError&) {
  }
  return 0;
}
