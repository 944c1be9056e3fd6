#pragma once
// The process group a program was started in, read from the environment.
//
//   mpirun -np 2 prog      OMPI_COMM_WORLD_SIZE      -> MpiProcessGroup
//   srun -n 2 prog         PMI_SIZE / PMIX_RANK      -> MpiProcessGroup
//   prog                   none of them              -> SingleProcessGroup
//
// A launcher's variables in a build without MPI are an error, not a silent
// world of one (each rank would train alone and all would write the same
// files).
#include <memory>

#include "veil/distributed/process_group.h"

namespace veil::distributed {

// True when an MPI launcher started this process (even as a world of one).
bool launched_by_mpi();

// Collectives time out after 300 s until set_timeout() says otherwise.
std::unique_ptr<ProcessGroup> process_group_from_environment();

}  // namespace veil::distributed
