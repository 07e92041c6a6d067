#include "gateway/posix_error.h"

#include <cstring>
#include <string>

#include "fs/errno_of.h"

namespace ferry::gateway {
namespace {
constexpr std::string_view kTag = "errno:";
}

Status PosixError(int err, std::string_view context) {
  return Status(Status::Code::kInvalidArgument, std::string(context) + ": " + std::strerror(err))
      .WithS3Code(std::string(kTag) + std::to_string(err), 0);
}

int ErrnoOf(const Status& status) {
  const std::string& code = status.s3_code();
  if (code.starts_with(kTag)) return std::stoi(code.substr(kTag.size()));
  return fs::ErrnoOf(status);
}

}  // namespace ferry::gateway
