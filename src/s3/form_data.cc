#include "s3/form_data.h"

#include <algorithm>

#include "core/ascii.h"

namespace ferry::s3 {
namespace {

constexpr size_t kReadSize = 64 << 10;
constexpr size_t kMaxHeaderBytes = 8 << 10;  // one part's header section

// The value of parameter `name` in "form-data; name="x"; filename="y"" (quotes removed,
// backslash escapes undone).
std::optional<std::string> Parameter(std::string_view header, std::string_view name) {
  size_t at = 0;
  while ((at = header.find(';', at)) != std::string_view::npos) {
    std::string_view rest = TrimSpaceTab(header.substr(at + 1));
    ++at;
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos || AsciiLower(TrimSpaceTab(rest.substr(0, eq))) != name)
      continue;
    std::string_view v = TrimSpaceTab(rest.substr(eq + 1));
    std::string out;
    if (!v.empty() && v.front() == '"') {
      for (size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out += v[i];
      }
    } else {
      out = std::string(v.substr(0, v.find(';')));
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> FormDataBoundary(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  if (AsciiLower(TrimSpaceTab(content_type.substr(0, semi))) != "multipart/form-data")
    return std::nullopt;
  auto boundary = Parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

FormDataReader::FormDataReader(ReadFn read, std::string boundary)
    : read_(std::move(read)), delimiter_("\r\n--" + std::move(boundary)) {}

Status FormDataReader::Malformed() const {
  return Status::InvalidArgument(
             "The body of your POST request is not well-formed multipart/form-data.")
      .WithS3Code("MalformedPOSTRequest", 400);
}

Status FormDataReader::Fill(size_t want) {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  while (buf_.size() - pos_ < want && !eof_) {
    const size_t have = buf_.size();
    buf_.resize(have + std::max(kReadSize, want));
    auto n = read_(std::span<char>(buf_.data() + have, buf_.size() - have));
    if (!n.ok()) {
      buf_.resize(have);
      return n.status();
    }
    buf_.resize(have + *n);
    if (*n == 0) eof_ = true;
  }
  return Status::OK();
}

Result<size_t> FormDataReader::Read(std::span<char> out) {
  if (!in_part_ || out.empty()) return size_t{0};
  FERRY_RETURN_IF_ERROR(Fill(delimiter_.size() + std::min(out.size(), kReadSize)));
  const std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
  const size_t at = avail.find(delimiter_);
  size_t n;
  if (at == 0) {
    in_part_ = false;  // the part ends here; the delimiter stays for NextPart
    return size_t{0};
  }
  if (at != std::string_view::npos) {
    n = std::min(at, out.size());
  } else {
    if (eof_) return Malformed();  // the body ended inside a part
    // What may be the start of the delimiter stays until more comes.
    n = std::min(avail.size() - (delimiter_.size() - 1), out.size());
  }
  std::copy_n(avail.data(), n, out.data());
  pos_ += n;
  return n;
}

Result<std::string> FormDataReader::ReadAll(size_t limit) {
  std::string out;
  char chunk[4096];
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, Read(std::span<char>(chunk, sizeof chunk)));
    if (n == 0) return out;
    if (out.size() + n > limit) {
      return Status::InvalidArgument(
                 "Your POST request fields preceding the upload file were "
                 "too large.")
          .WithS3Code("MaxPostPreDataLengthExceeded", 400);
    }
    out.append(chunk, n);
  }
}

Result<std::optional<FormDataReader::Part>> FormDataReader::NextPart() {
  if (finished_) return std::optional<Part>();
  char skip[4096];
  while (in_part_) {
    FERRY_ASSIGN_OR_RETURN(size_t n, Read(std::span<char>(skip, sizeof skip)));
    if (n == 0) break;
  }
  if (!started_) {
    // The body opens with "--boundary" (a preamble before it is allowed and skipped): seen
    // as the delimiter after a CRLF that is not there.
    FERRY_RETURN_IF_ERROR(Fill(delimiter_.size()));
    buf_.insert(pos_, "\r\n");
    started_ = true;
    for (;;) {
      FERRY_RETURN_IF_ERROR(Fill(delimiter_.size()));
      const std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
      const size_t at = avail.find(delimiter_);
      if (at != std::string_view::npos) {
        pos_ += at;
        break;
      }
      if (eof_ || buf_.size() - pos_ > kMaxHeaderBytes) return Malformed();
      pos_ += avail.size() - (delimiter_.size() - 1);
    }
  }
  // At a delimiter: "--" closes the body, CRLF opens a part.
  FERRY_RETURN_IF_ERROR(Fill(delimiter_.size() + 2));
  if (std::string_view(buf_.data() + pos_, buf_.size() - pos_).substr(0, delimiter_.size()) !=
      delimiter_) {
    return Malformed();
  }
  pos_ += delimiter_.size();
  const std::string_view after(buf_.data() + pos_, buf_.size() - pos_);
  if (after.starts_with("--")) {
    finished_ = true;
    return std::optional<Part>();
  }
  // Transport padding (spaces) may follow the boundary.
  size_t line_end = after.find("\r\n");
  if (line_end == std::string_view::npos || !TrimSpaceTab(after.substr(0, line_end)).empty()) {
    return Malformed();
  }
  pos_ += line_end + 2;
  Part part;
  bool disposition = false;
  for (;;) {
    FERRY_RETURN_IF_ERROR(Fill(kMaxHeaderBytes));
    const std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);
    const size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) return Malformed();
    const std::string_view line = rest.substr(0, eol);
    pos_ += eol + 2;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed();
    const std::string name = AsciiLower(TrimSpaceTab(line.substr(0, colon)));
    const std::string_view value = TrimSpaceTab(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (AsciiLower(TrimSpaceTab(value.substr(0, value.find(';')))) != "form-data")
        return Malformed();
      auto field = Parameter(value, "name");
      if (!field) return Malformed();
      part.name = *field;
      part.filename = Parameter(value, "filename").value_or("");
      disposition = true;
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!disposition) return Malformed();
  in_part_ = true;
  return std::optional<Part>(std::move(part));
}

}  // namespace ferry::s3
