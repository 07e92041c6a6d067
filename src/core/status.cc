#include "ferry/status.h"

#include <cstring>

namespace ferry {

namespace {
const std::string kEmpty;
}

Status::Status(Code code, std::string_view msg) {
  if (code == Code::kOk) return;
  auto state = std::make_shared<State>();
  state->code = code;
  state->message = std::string(msg);
  state_ = std::move(state);
}

Status Status::FromErrno(std::string_view context, int err) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  Code code = Code::kIOError;
  if (err == ENOENT) code = Code::kNotFound;
  if (err == EEXIST) code = Code::kAlreadyExists;
  if (err == EACCES || err == EPERM) code = Code::kPermissionDenied;
  if (err == ENOSPC || err == EDQUOT) code = Code::kNoSpace;
  return Status(code, msg);
}

const std::string& Status::message() const {
  return state_ ? state_->message : kEmpty;
}
const std::string& Status::s3_code() const {
  return state_ ? state_->s3_code : kEmpty;
}

Status Status::WithS3Code(std::string_view s3_code, int http_status) const {
  if (ok()) return *this;
  auto state = std::make_shared<State>(*state_);
  state->s3_code = std::string(s3_code);
  state->http_status = http_status;
  Status out;
  out.state_ = std::move(state);
  return out;
}

Status Status::WithRetryable(bool retryable) const {
  if (ok()) return *this;
  auto state = std::make_shared<State>(*state_);
  state->retryable = retryable;
  Status out;
  out.state_ = std::move(state);
  return out;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  auto state = std::make_shared<State>(*state_);
  state->message = std::string(context) + ": " + state_->message;
  Status out;
  out.state_ = std::move(state);
  return out;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code()));
  out += ": ";
  if (!state_->s3_code.empty()) {
    out += state_->s3_code;
    out += ": ";
  }
  out += state_->message;
  return out;
}

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kAlreadyExists:
      return "AlreadyExists";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kPreconditionFailed:
      return "PreconditionFailed";
    case Status::Code::kPermissionDenied:
      return "PermissionDenied";
    case Status::Code::kIOError:
      return "IOError";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kUnavailable:
      return "Unavailable";
    case Status::Code::kNotImplemented:
      return "NotImplemented";
    case Status::Code::kCancelled:
      return "Cancelled";
    case Status::Code::kResourceExhausted:
      return "ResourceExhausted";
    case Status::Code::kInternal:
      return "Internal";
    case Status::Code::kNoSpace:
      return "NoSpace";
  }
  return "Unknown";
}

}  // namespace ferry
