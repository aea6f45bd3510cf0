#pragma once

#include <nanobind/nanobind.h>

namespace kcore::python {

namespace nb = nanobind;
using namespace nb::literals;

void bind_tensor(nb::module_& m);
void bind_ops(nb::module_& m);
void bind_math(nb::module_& m);
void bind_selection(nb::module_& m);
void bind_transforms(nb::module_& m);
void bind_indexing(nb::module_& m);

}  // namespace kcore::python
