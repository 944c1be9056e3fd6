#pragma once
// The common veil API in one include: tensors and ops, autograd, layers,
// privacy, data and distributed training.
#include "veil/autograd/grad_mode.h"
#include "veil/core/error.h"
#include "veil/core/ops.h"
#include "veil/core/parallel.h"
#include "veil/core/tensor.h"
