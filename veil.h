#pragma once
// The common veil API in one include, for programs that embed veil:
//
//   #include <veil/veil.h>
//
// Tensors and ops, autograd, layers and models, losses and optimizers,
// DP-SGD (PrivacyEngine, DPOptimizer, clipping, accountants, noise
// calibration), data sets and loaders. Layer authors add what they need
// (autograd/node.h, layers/per_sample_math.h, layers/materialized_per_sample.h;
// see docs/guide.md).
// BatchNorm2d (layers/batch_norm.h) is left out on purpose: it mixes the
// examples of a batch, and DP training refuses it (use GroupNorm).

// Tensors and ops.
#include "veil/core/compare.h"
#include "veil/core/device.h"
#include "veil/core/dtype.h"
#include "veil/core/error.h"
#include "veil/core/graphed_step.h"
#include "veil/core/parallel.h"
#include "veil/core/shape.h"
#include "veil/core/tensor.h"

// Autograd.
#include "veil/autograd/grad_mode.h"
#include "veil/autograd/ops.h"
#include "veil/autograd/gradcheck.h"

// Layers, models, losses, checkpoints.
#include "veil/layers/activations.h"
#include "veil/layers/conv1d.h"
#include "veil/layers/conv2d.h"
#include "veil/layers/dropout.h"
#include "veil/layers/embedding.h"
#include "veil/layers/flatten.h"
#include "veil/layers/group_norm.h"
#include "veil/layers/layer_norm.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/module.h"
#include "veil/layers/per_sample.h"
#include "veil/layers/pooling.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/layers/scatter_linear.h"
#include "veil/layers/sequential.h"
#include "veil/layers/tanh_cnn.h"
#include "veil/layers/safetensors.h"
#include "veil/layers/serialization.h"

// Optimizers.
#include "veil/optim/optimizer.h"
#include "veil/optim/weight_average.h"

// Differential privacy.
#include "veil/privacy/accountant.h"
#include "veil/privacy/clipping.h"
#include "veil/privacy/dp_optimizer.h"
#include "veil/privacy/gdp_accountant.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/privacy/pld_accountant.h"
#include "veil/privacy/privacy_engine.h"
#include "veil/privacy/privacy_ledger.h"
#include "veil/privacy/prv_accountant.h"
#include "veil/privacy/rdp_accountant.h"
#include "veil/privacy/validator.h"

// Data.
#include "veil/data/data_loader.h"
#include "veil/data/mnist_files.h"
#include "veil/data/scattering2d.h"
#include "veil/data/tensor_dataset.h"

// Data-parallel DP training (the MPI and NCCL groups: process_group_mpi.h,
// process_group_nccl.h, where built).
#include "veil/distributed/dpddp.h"
#include "veil/distributed/launch.h"
#include "veil/distributed/make_private.h"
#include "veil/distributed/process_group.h"
#include "veil/distributed/process_group_single.h"
