// A small value-or-error type for code that must not throw across actor or connector boundaries.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace backflow {

/// An error carried as a value: a human-readable message that names what is wrong.
struct failure {
  std::string message;
};

/// Either a T or a failure. Cheap to move, explicit to inspect.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : data_(std::move(value)) {}  // NOLINT: implicit on purpose
  result(failure err) : data_(std::move(err)) {}  // NOLINT: implicit on purpose

  [[nodiscard]] bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const failure& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, failure> data_;
};

/// Success-or-failure without a value.
class [[nodiscard]] status {
 public:
  status() = default;
  status(failure err) : err_(std::move(err)), ok_(false) {}  // NOLINT: implicit on purpose

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const failure& error() const { return err_; }

 private:
  failure err_;
  bool ok_ = true;
};

}  // namespace backflow
