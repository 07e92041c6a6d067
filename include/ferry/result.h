// Result<T>: either a value of type T or a failed Status. Used wherever a function that can
// fail also produces a value. Accessing value() of a failed Result is a bug (asserted).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "ferry/status.h"

namespace ferry {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result needs a value or a failed Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace ferry

#define FERRY_CONCAT_INNER(a, b) a##b
#define FERRY_CONCAT(a, b) FERRY_CONCAT_INNER(a, b)

// FERRY_ASSIGN_OR_RETURN(auto x, Compute()); returns the Status when Compute() failed.
#define FERRY_ASSIGN_OR_RETURN(lhs, expr)                  \
  auto FERRY_CONCAT(ferry_result_, __LINE__) = (expr);     \
  if (!FERRY_CONCAT(ferry_result_, __LINE__).ok())         \
    return FERRY_CONCAT(ferry_result_, __LINE__).status(); \
  lhs = std::move(FERRY_CONCAT(ferry_result_, __LINE__)).value()
