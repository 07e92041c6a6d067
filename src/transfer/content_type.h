// The Content-Type an upload gets from its file name, as the AWS CLI and rclone guess it, so
// browsers and notebooks open objects sensibly. Unknown extensions get none (S3 then answers
// binary/octet-stream).
#pragma once

#include <string>
#include <string_view>

namespace ferry::transfer {

std::string GuessContentType(std::string_view path);

}  // namespace ferry::transfer
