#include <nanobind/nanobind.h>

#include "kcore/errors.h"
#include "numpy_api.h"
#include "py_module.h"

NB_MODULE(_kcore, m) {
  namespace nb = nanobind;
  m.doc() = "kcore: the Keras 3 core ops in C++";
  kcore::python::import_numpy_api();
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const kcore::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const kcore::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const kcore::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const kcore::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    }
  });
  kcore::python::bind_tensor(m);
  kcore::python::bind_ops(m);
  kcore::python::bind_math(m);
  kcore::python::bind_selection(m);
  kcore::python::bind_transforms(m);
  kcore::python::bind_indexing(m);
}
