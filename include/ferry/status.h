// Status: the outcome of an operation that can fail, passed across every layer boundary.
//
// An OK status holds no allocation. A failed status carries a category (Code), a message that
// names the thing that failed, and optionally the S3 error code and HTTP status it maps to on
// the wire, plus whether retrying the same operation may succeed. Statuses are values: copy
// them freely. Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ferry {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,            // no such bucket, key, upload, file
    kAlreadyExists,       // bucket exists, file exists
    kInvalidArgument,     // bad input from a caller or a client
    kPreconditionFailed,  // a condition (If-Match, ...) did not hold
    kPermissionDenied,    // authentication or authorisation failed
    kIOError,             // the operating system or the disk failed
    kCorruption,          // stored or received data does not match its checksum
    kUnavailable,         // the remote side or the network failed; usually retryable
    kNotImplemented,      // a valid request this build does not support
    kCancelled,           // the operation was asked to stop
    kResourceExhausted,   // a limit (cache space, quota) leaves no room
    kInternal,            // a bug: an invariant did not hold
    kNoSpace,             // the disk or quota holding the data is full
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status PreconditionFailed(std::string_view msg) {
    return Status(Code::kPreconditionFailed, msg);
  }
  static Status PermissionDenied(std::string_view msg) {
    return Status(Code::kPermissionDenied, msg);
  }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  // IOError from an errno value: the message becomes "context: strerror(err)".
  static Status FromErrno(std::string_view context, int err);
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status Unavailable(std::string_view msg) {
    return Status(Code::kUnavailable, msg).WithRetryable(true);
  }
  static Status NotImplemented(std::string_view msg) { return Status(Code::kNotImplemented, msg); }
  static Status Cancelled(std::string_view msg) { return Status(Code::kCancelled, msg); }
  static Status ResourceExhausted(std::string_view msg) {
    return Status(Code::kResourceExhausted, msg);
  }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }
  static Status NoSpace(std::string_view msg) { return Status(Code::kNoSpace, msg); }

  Status(Code code, std::string_view msg);

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  const std::string& message() const;
  // The S3 error code ("NoSuchKey", "BadDigest", ...), empty when none was attached.
  const std::string& s3_code() const;
  // The HTTP status this error is answered with on the wire, 0 when none was attached.
  int http_status() const { return state_ ? state_->http_status : 0; }
  bool retryable() const { return state_ && state_->retryable; }

  // Builders for failed statuses; on an OK status they return it unchanged.
  Status WithS3Code(std::string_view s3_code, int http_status) const;
  Status WithRetryable(bool retryable) const;
  // Prefixes the message: "context: message".
  Status Annotate(std::string_view context) const;

  bool IsNotFound() const { return code() == Code::kNotFound; }

  // "NotFound: s3://b/k: NoSuchKey ..." style text for logs and one-line CLI errors.
  std::string ToString() const;

 private:
  struct State {
    Code code;
    std::string message;
    std::string s3_code;
    int http_status = 0;
    bool retryable = false;
  };
  std::shared_ptr<const State> state_;  // null means OK; immutable once built, so copies share it
};

std::string_view CodeName(Status::Code code);

}  // namespace ferry

// Returns from the calling function when the expression yields a failed Status.
#define FERRY_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::ferry::Status ferry_status_ = (expr);        \
    if (!ferry_status_.ok()) return ferry_status_; \
  } while (0)
