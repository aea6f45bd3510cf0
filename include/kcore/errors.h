#pragma once

#include <stdexcept>
#include <string>

namespace kcore {

// The error hierarchy of SEMANTICS §7. Every message starts with the op's name, then says what
// was received and what was expected.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ValueError : public Error {
 public:
  using Error::Error;
};

class TypeError : public Error {
 public:
  using Error::Error;
};

class IndexError : public Error {
 public:
  using Error::Error;
};

// Raised when a transform meets a primitive that lacks the rule it needs.
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

}  // namespace kcore
