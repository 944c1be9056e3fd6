// libFuzzer harness: the apps' argument parser (apps/support/cli.h) on
// arbitrary argument lists (NUL-separated), with the options of
// mnist_dp_ddp and every typed getter. A UsageError is the expected answer;
// anything else (std::logic_error included: only an app's bug may throw it)
// is a finding.
#include <string>
#include <vector>

#include "support/cli.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') args.emplace_back();
    else args.back() += static_cast<char>(data[i]);
  }
  veil::cli::ArgParser parser("fuzz [options]", "fuzzing");
  const char* options[] = {"data", "epochs", "batch-size", "lr", "sigma", "delta", "seed", "threads", "max-steps", "json"};
  for (const char* name : options) parser.option(name, "X", "an option");
  parser.flag("no-dp", "a flag").flag("secure", "a flag");
  try {
    parser.parse(args);
    for (const char* name : options) {
      try {
        parser.get_int(name, 0);
      } catch (const veil::cli::UsageError&) {
      }
      try {
        parser.get_double(name, 0.0);
      } catch (const veil::cli::UsageError&) {
      }
      parser.get_string(name, "");
    }
    parser.has("no-dp");
    parser.help();
  } catch (const veil::cli::UsageError&) {
  }
  return 0;
}
