// The message of an exception held as a std::exception_ptr (an HTTP server's exception hook).
#pragma once

#include <exception>
#include <string>

namespace backflow {

/// what() of the exception, or "unknown exception" for one that is not a std::exception.
inline std::string exception_text(const std::exception_ptr& ep) {
  try {
    if (ep)
      std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

}  // namespace backflow
