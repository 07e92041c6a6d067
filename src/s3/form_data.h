// FormDataReader: a multipart/form-data body (RFC 7578), as browsers send HTML form uploads
// (S3's POST Object), read part by part as it arrives: each part's headers, then its bytes,
// which may be streamed (a file of gigabytes is never held in memory). The input is a
// function reading the raw body. Thread-compatible.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ferry/result.h"

namespace ferry::s3 {

// The boundary of a "multipart/form-data; boundary=..." Content-Type (quoted or not);
// nullopt for any other type or a boundary RFC 2046 does not allow.
std::optional<std::string> FormDataBoundary(std::string_view content_type);

class FormDataReader {
 public:
  using ReadFn = std::function<Result<size_t>(std::span<char>)>;  // 0: the body ended
  FormDataReader(ReadFn read, std::string boundary);

  struct Part {
    std::string name;          // from Content-Disposition: form-data; name="..."
    std::string filename;      // filename="...", empty for a plain field
    std::string content_type;  // the part's Content-Type, if given
  };
  // The next part's headers (the rest of the current part is skipped); nullopt after the
  // closing boundary. MalformedPOSTRequest for a body that is not well-formed.
  Result<std::optional<Part>> NextPart();
  // Up to out.size() bytes of the current part; 0 at its end.
  Result<size_t> Read(std::span<char> out);
  // The rest of the current part; MaxPostPreDataLengthExceeded-like InvalidArgument beyond
  // limit bytes.
  Result<std::string> ReadAll(size_t limit);

 private:
  // Makes at least `want` bytes available in buf_ (fewer at the end of the body).
  Status Fill(size_t want);
  Status Malformed() const;

  ReadFn read_;
  const std::string delimiter_;  // "\r\n--" + boundary
  std::string buf_;              // unread input starts at pos_
  size_t pos_ = 0;
  bool eof_ = false;
  bool started_ = false;   // the first boundary was read
  bool in_part_ = false;   // between a part's headers and its end
  bool finished_ = false;  // the closing boundary was read
};

}  // namespace ferry::s3
