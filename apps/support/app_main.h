#pragma once
// main() of veil's apps and benchmarks: exit statuses and one-line errors.
//
//   int main(int argc, char** argv) {
//     return veil::cli::parse_and_run("bench_train", argc, argv, add_options, read_options, run);
//   }
//
// Exit status 0 on success and for --help, 2 for a usage error (a bad,
// unknown or missing flag or value: CLI::ParseError or UsageError), printed
// as "program: message (see program --help)", and 1 for any other error,
// printed as "program: error: message".
#include <functional>
#include <string>
#include <vector>

#include "support/options.h"

namespace veil::cli {

// argv[first], argv[first + 1], ... as strings.
std::vector<std::string> arguments(int argc, const char* const* argv, int first = 1);

// Runs body() and turns its exceptions into the message and exit status
// above, after flushing what the program already printed.
int guarded_main(const char* program, const std::function<int()>& body);

// main() of an app with one set of options: add(app, options) describes the
// app and declares the options, bound to `options`; after parsing,
// read(app, options) checks what the parser cannot (throwing UsageError) and
// run(options) does the work.
template <typename Options, typename Add, typename Read, typename Run>
int parse_and_run(const char* program, int argc, const char* const* argv, const Add& add, const Read& read,
                  const Run& run) {
  return guarded_main(program, [&] {
    Options options;
    CLI::App app{"", program};
    add(app, options);
    if (parse_or_help(app, arguments(argc, argv))) return 0;
    read(app, options);
    return run(options);
  });
}

}  // namespace veil::cli
