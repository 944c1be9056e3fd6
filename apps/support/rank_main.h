#pragma once
// main() of an app that runs alone or as one rank of a data-parallel job
// (mpirun, srun): the process group comes from the environment
// (distributed/launch.h) and is handed to the app's run().
//
// Errors: a usage error is printed by rank 0 only (every rank parses the same
// flags) and every rank exits 2. Any other error is printed as
// "program: rank R: error: message" (without "rank R: " when alone), and in a
// job of several ranks ends the whole job at once (MPI_Abort), so that the
// other ranks do not wait for this one in a collective.
#include <functional>
#include <memory>

#include "support/cli.h"
#include "veil/distributed/process_group.h"

namespace veil::cli {

int guarded_rank_main(const char* program, const std::function<int(distributed::ProcessGroup&)>& body);

template <typename Make, typename Read, typename Run>
int parse_and_run_ranks(const char* program, int argc, const char* const* argv, const Make& make, const Read& read,
                        const Run& run) {
  return guarded_rank_main(program, [&](distributed::ProcessGroup& group) {
    ArgParser parser = make();
    // --help is printed by rank 0 alone.
    if (group.rank() == 0 ? parse_or_help(parser, arguments(argc, argv))
                          : (parser.parse(arguments(argc, argv)), parser.has("help")))
      return 0;
    return run(read(parser), group);
  });
}

}  // namespace veil::cli
