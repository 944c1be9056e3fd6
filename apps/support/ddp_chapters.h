#pragma once
// Two chapters of the Opacus distributed tutorial, as mnist_dp_ddp flags.
#include <iosfwd>

#include "veil/data/data_loader.h"
#include "veil/distributed/dpddp.h"

namespace veil {

// --show-loaders: the plain loader, the distributed non-private loader a
// DistributedSampler would give each of `workers` ranks (N/W examples,
// batch B/W), and veil's distributed Poisson loader for rank 0.
void show_loaders(std::ostream& os, const data::DataLoader& loader, int workers);

// --sync-demo: one DP step with sigma 0 and clipping 100. Every rank prints
// its own gradient (its clipped sum over its expected batch q N / W) before
// step() and the gradient step() applied (from the parameter change / lr)
// after it; rank 0 also prints the average of the workers' gradients, which
// the applied one equals. Returns the exit status.
int sync_demo(distributed::DPDDP& ddp, const data::DataLoader& loader, double lr, std::uint64_t seed);

}  // namespace veil
