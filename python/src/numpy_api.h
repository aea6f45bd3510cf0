#pragma once

// NumPy's C API (the array struct, PyArray_NewFromDescr, ...), for the conversions whose
// per-call cost matters: a NumPy array in, a NumPy array out. One function table serves the whole
// extension; numpy_api.cpp owns it and import_numpy_api() fills it when the module loads.
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL kcore_numpy_array_api
#ifndef KCORE_NUMPY_API_OWNER
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

namespace kcore::python {

// Imports numpy and its C API; throws the Python error when that fails.
void import_numpy_api();

}  // namespace kcore::python
