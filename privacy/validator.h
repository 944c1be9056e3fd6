#pragma once
// Checks that a model can be trained with DP-SGD before training starts.
//
// DP-SGD needs, for every trainable parameter, the gradient of each
// example's own loss, and that gradient must not depend on the other
// examples of the batch. A model fails when it holds
//  - a BatchNorm2d: its batch statistics mix examples (use GroupNorm);
//  - a module with parameters of its own that does not implement
//    PerSampleLayer: nothing would produce its per-sample gradients;
//  - a PerSampleLayer with a trainable parameter of its own that its
//    per_sample_parameters() does not list: it would escape clipping.
#include <string>
#include <vector>

#include "veil/layers/module.h"

namespace veil {

// One line per problem, each naming the module's path in the tree (e.g.
// "bn1", "features.3"; "<root>" for the model itself) and its type; empty
// when the model is fit for DP training.
std::vector<std::string> validate_for_dp(const Module& model);

// Throws veil::Error listing every problem validate_for_dp finds.
void check_dp_compatible(const Module& model);

}  // namespace veil
