// File: doppel/status.hpp
//
// Errors are values inside the library: functions that can fail return a
// `Status` or a `Result<T>` and never call exit() or throw across the API.
// Front ends (CLI, bindings, server) turn them into exit codes or exceptions.
//
//   doppel::Result<int> parse(std::string_view s);
//   DOPPEL_ASSIGN_OR_RETURN(int v, parse("42"));
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace doppel {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  ///< a parameter or flag value is out of range or malformed
  kNotFound,         ///< a file, document or field does not exist
  kIoError,          ///< reading or writing failed (permissions, disk full, ...)
  kDataError,        ///< input bytes are malformed (bad JSON, truncated archive, ...)
  kInternal,         ///< a broken invariant: a bug in doppel
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status data_error(std::string m) { return {StatusCode::kDataError, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none (std::expected is C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace doppel

#define DOPPEL_CONCAT_INNER(a, b) a##b
#define DOPPEL_CONCAT(a, b) DOPPEL_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` fails.
#define DOPPEL_TRY(expr) DOPPEL_TRY_IMPL(DOPPEL_CONCAT(doppel_status_, __LINE__), expr)
#define DOPPEL_TRY_IMPL(tmp, expr)        \
  do {                                    \
    ::doppel::Status tmp = (expr);        \
    if (!tmp.is_ok()) return tmp;         \
  } while (0)

#define DOPPEL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.is_ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

// `DOPPEL_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result or returns its Status.
#define DOPPEL_ASSIGN_OR_RETURN(lhs, expr) \
  DOPPEL_ASSIGN_OR_RETURN_IMPL(DOPPEL_CONCAT(doppel_result_, __LINE__), lhs, expr)
