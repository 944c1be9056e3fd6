#pragma once
// The process group a program was started in, read from the environment.
//
//   mpirun -np 2 prog      OMPI_COMM_WORLD_SIZE      -> MpiProcessGroup
//   srun -n 2 prog         PMI_SIZE / PMIX_RANK      -> MpiProcessGroup
//   prog                   none of them              -> SingleProcessGroup
//
// A GPU run of several ranks sums its gradients over NCCL
// (gpu_process_group below), started by the MPI group.
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

// The GPU of a rank in a GPU run: one GPU per rank, picked by its local rank
// (its place among the `local_size` ranks on its node). Throws, naming both
// counts, when the node shows fewer GPUs than it runs ranks: two ranks on one
// GPU would share its memory and serialise each other's kernels.
int gpu_for_local_rank(int local_rank, int local_size, int visible_gpus);

// The group for GPU tensors of a run of several ranks: an NcclProcessGroup
// bootstrapped by `launched` (NCCL's unique id goes over it), each rank on
// gpu_for_local_rank's GPU. Collective; `launched` must outlive it. Throws
// when veil was built without NCCL.
std::unique_ptr<ProcessGroup> gpu_process_group(ProcessGroup& launched, double timeout_seconds);

}  // namespace veil::distributed
