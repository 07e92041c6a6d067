// The POSIX metadata convention shared with DataSync, S3 File Gateway, FSx for Lustre and
// File Cache: a file's mode, owner and times travel as user metadata so a tree written by any
// of them reads back correctly.
//
//   file-permissions  octal st_mode including the file type: "0100644", "0040755", "0120777"
//   file-owner        decimal uid        file-group  decimal gid
//   file-mtime        nanoseconds since the epoch with an "ns" suffix ("1700000000123456789ns");
//   file-atime        a value without "ns" is milliseconds
// When those keys are missing, s3fs's "mode" (decimal st_mode), "uid", "gid" and "mtime"
// (seconds) are read instead. Names are as stored in ObjectHeaders::user_metadata (lower
// case, without "x-amz-meta-"). Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace ferry::s3 {

struct PosixAttributes {
  std::optional<uint32_t> mode;  // st_mode with the file-type bits
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> mtime_ns;
  std::optional<int64_t> atime_ns;
};

// Sets the file-* keys for every attribute present.
void EncodePosixAttributes(const PosixAttributes& attrs,
                           std::map<std::string, std::string>& user_metadata);
// Reads the file-* keys, falling back to s3fs's keys; malformed values are ignored.
PosixAttributes DecodePosixAttributes(const std::map<std::string, std::string>& user_metadata);

std::string FormatNanosTimestamp(int64_t ns);                       // "…ns"
std::optional<int64_t> ParseNanosTimestamp(std::string_view text);  // "…ns" or milliseconds

}  // namespace ferry::s3
