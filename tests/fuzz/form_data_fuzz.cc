// The multipart/form-data reader of browser uploads, and the POST policy parser. The first
// byte picks the read size; the body is read part by part, whole and in slices of that size,
// and both must agree (same parts, same bytes, same verdict): network reads come in any size.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_input.h"
#include "s3/form_data.h"
#include "s3/post_policy.h"

namespace {

std::string ReadAllParts(std::string_view body, size_t slice) {
  auto at = std::make_shared<size_t>(0);
  const std::string copy(body);
  ferry::s3::FormDataReader form(
      [copy, slice, at](std::span<char> out) -> ferry::Result<size_t> {
        size_t n = std::min({slice == 0 ? copy.size() : slice, out.size(), copy.size() - *at});
        std::copy_n(copy.data() + *at, n, out.data());
        *at += n;
        return n;
      },
      "b");
  std::string out;
  for (int parts = 0; parts < 64; ++parts) {
    auto part = form.NextPart();
    if (!part.ok()) return out + "|error:" + part.status().s3_code();
    if (!*part) return out + "|end";
    out += "|" + (*part)->name + ":" + (*part)->filename + ":";
    auto all = form.ReadAll(1 << 16);
    if (!all.ok()) return out + "|error:" + all.status().s3_code();
    out += *all;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::fuzz::FuzzInput in(data, size);
  const size_t slice = in.Byte() % 17 + 1;
  const std::string_view body = in.Piece('\0');
  if (ReadAllParts(body, 0) != ReadAllParts(body, slice)) std::abort();
  (void)ferry::s3::ParsePostPolicy(in.Piece('\0'));
  return 0;
}
