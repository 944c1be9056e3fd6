#include "support/rank_main.h"

#include <iostream>

#include "veil/distributed/launch.h"
#ifdef VEIL_WITH_MPI
#include <mpi.h>
#endif

namespace veil::cli {

namespace {

// Ends every rank of the job; only an app may do this, never the library.
[[noreturn]] void abort_job(int status) {
#ifdef VEIL_WITH_MPI
  MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::exit(status);
}

}  // namespace

int guarded_rank_main(const char* program, const std::function<int(distributed::ProcessGroup&)>& body) {
  std::unique_ptr<distributed::ProcessGroup> group;
  const int started = guarded_main(program, [&] {
    group = distributed::process_group_from_environment();
    return 0;
  });
  if (started != 0) return started;
  const auto usage = [&](const char* message) {
    std::cout << std::flush;
    if (group->rank() == 0) std::cerr << program << ": " << message << " (see " << program << " --help)\n";
    return 2;
  };
  try {
    return body(*group);
  } catch (const UsageError& error) {
    return usage(error.what());
  } catch (const CLI::ParseError& error) {
    return usage(error.what());
  } catch (const CollectiveError& error) {
    std::cout << std::flush;
    if (group->rank() == 0) std::cerr << program << ": error: " << error.what() << std::endl;
    return 1;
  } catch (const std::exception& error) {
    std::cout << std::flush;
    std::cerr << program << ": " << (group->size() > 1 ? "rank " + std::to_string(group->rank()) + ": " : "")
              << "error: " << error.what() << std::endl;
    if (group->size() > 1) abort_job(1);
    return 1;
  }
}

}  // namespace veil::cli
