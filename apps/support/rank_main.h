#pragma once
// main() of an app that runs alone or as one rank of a data-parallel job
// (mpirun, srun): the process group comes from the environment
// (distributed/launch.h) and is handed to the app's run().
//
// Errors: a usage error is printed by rank 0 only (every rank parses the same
// flags) and every rank exits 2. Any other error is printed as
// "program: rank R: error: message" (without "rank R: " when alone), and in a
// job of several ranks ends the whole job at once (MPI_Abort), so that the
// other ranks do not wait for this one in a collective. A CollectiveError is
// raised by every rank at once: rank 0 prints it and every rank exits 1.
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "support/app_main.h"
#include "veil/distributed/process_group.h"

namespace veil::cli {

// An error every rank raises at the same point, from values they all
// gathered: no rank is left waiting for another, so none ends the job by
// force and one message (rank 0's) says what happened.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

int guarded_rank_main(const char* program, const std::function<int(distributed::ProcessGroup&)>& body);

// parse_and_run (support/app_main.h) for every rank: run(options, group).
template <typename Options, typename Add, typename Read, typename Run>
int parse_and_run_ranks(const char* program, int argc, const char* const* argv, const Add& add, const Read& read,
                        const Run& run) {
  return guarded_rank_main(program, [&](distributed::ProcessGroup& group) {
    Options options;
    CLI::App app{"", program};
    add(app, options);
    // --help is printed by rank 0 alone.
    std::ostringstream elsewhere;
    if (parse_or_help(app, arguments(argc, argv), group.rank() == 0 ? std::cout : elsewhere)) return 0;
    read(app, options);
    return run(options, group);
  });
}

}  // namespace veil::cli
