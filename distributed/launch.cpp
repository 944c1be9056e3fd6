#include "veil/distributed/launch.h"

#include <cstdlib>
#include <string>

#include "veil/core/error.h"
#include "veil/distributed/process_group_single.h"
#ifdef VEIL_WITH_MPI
#include "veil/distributed/process_group_mpi.h"
#endif
#ifdef VEIL_WITH_NCCL
#include "veil/distributed/process_group_nccl.h"
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

int gpu_for_local_rank(int local_rank, int local_size, int visible_gpus) {
  VEIL_ASSERT(local_rank >= 0 && local_rank < local_size) << "local rank " << local_rank << " of " << local_size;
  if (visible_gpus < local_size)
    throw Error(std::to_string(local_size) + " ranks run on this node but it shows " + std::to_string(visible_gpus) +
                " GPU" + (visible_gpus == 1 ? "" : "s") +
                ": a GPU run takes one GPU per rank; start at most that many ranks per node");
  return local_rank;
}

std::unique_ptr<ProcessGroup> gpu_process_group(ProcessGroup& launched, double timeout_seconds) {
#ifdef VEIL_WITH_NCCL
  return std::make_unique<NcclProcessGroup>(launched, timeout_seconds);
#else
  (void)timeout_seconds;
  throw Error(rank_label(launched) + ": a GPU run of several ranks sums over NCCL, but veil was built without NCCL "
              "(configure with -DVEIL_WITH_NCCL=ON)");
#endif
}

}  // namespace veil::distributed
