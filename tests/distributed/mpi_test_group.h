#pragma once
// The MPI tests (test_*_mpi.cpp) run under `mpirun -np 2`; mpi_main.cpp owns
// the world group they share. Each rank builds its inputs from (seed, rank)
// and checks itself; main sums the failures of all ranks into every rank's
// exit status.
#include "veil/distributed/process_group_mpi.h"

namespace veil::testing {

distributed::MpiProcessGroup& mpi_group();

}  // namespace veil::testing
