#pragma once

// Everything a user of the C++ library needs.
#include "kcore/core_ops.h"
#include "kcore/dtype.h"
#include "kcore/errors.h"
#include "kcore/indexing_ops.h"
#include "kcore/math_ops.h"
#include "kcore/nested.h"
#include "kcore/ops.h"
#include "kcore/parallel.h"
#include "kcore/primitive.h"
#include "kcore/selection_ops.h"
#include "kcore/sparse.h"
#include "kcore/tensor.h"
