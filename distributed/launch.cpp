#include "veil/distributed/launch.h"

#include <cstdlib>

#include "veil/core/error.h"
#include "veil/distributed/process_group_single.h"
#ifdef VEIL_WITH_MPI
#include "veil/distributed/process_group_mpi.h"
#endif

namespace veil::distributed {

bool launched_by_mpi() {
  // OpenMPI's mpirun, PMI-1/2 (MPICH, srun --mpi=pmi2) and PMIx (srun --mpi=pmix).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

std::unique_ptr<ProcessGroup> process_group_from_environment() {
  if (!launched_by_mpi()) return std::make_unique<SingleProcessGroup>();
#ifdef VEIL_WITH_MPI
  return std::make_unique<MpiProcessGroup>();
#else
  throw Error("this process was started by an MPI launcher, but veil was built without MPI (configure with "
              "-DVEIL_WITH_MPI=ON)");
#endif
}

}  // namespace veil::distributed
