#define KCORE_NUMPY_API_OWNER
#include "numpy_api.h"

#include <nanobind/nanobind.h>

namespace kcore::python {

void import_numpy_api() {
  if (_import_array() < 0) throw nanobind::python_error();
}

}  // namespace kcore::python
