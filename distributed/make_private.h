#pragma once
// make_private for a DPDDP model: PrivacyEngine::make_private with the
// model's process group as the optimizer's reducer (DESIGN.md, "Distributed").
//
// The plain loader becomes a distributed Poisson loader: q = 1/len(loader) as
// in one process, and each rank samples its own disjoint shard (indices
// i % W == rank) at rate q, so the union over the ranks is one Poisson batch
// of the whole data set and the accountant sees one step at rate q per
// optimizer step. Every rank takes len(loader) steps per epoch, also when its
// local batch is empty. At step() rank 0 adds the noise to its clipped sum,
// the sums are all-reduced, and every rank divides by the global q*N and
// applies the same update, so the replicas stay bit-identical.
#include "veil/distributed/dpddp.h"
#include "veil/privacy/privacy_engine.h"

namespace veil::distributed {

PrivateTraining make_private(PrivacyEngine& engine, DPDDP& model, std::unique_ptr<Optimizer> optimizer,
                             const data::DataLoader& loader, double noise_multiplier, double max_grad_norm,
                             MakePrivateOptions options = {});
PrivateTraining make_private_with_epsilon(PrivacyEngine& engine, DPDDP& model, std::unique_ptr<Optimizer> optimizer,
                                          const data::DataLoader& loader, double target_epsilon, double target_delta,
                                          std::int64_t epochs, double max_grad_norm, MakePrivateOptions options = {});

}  // namespace veil::distributed
