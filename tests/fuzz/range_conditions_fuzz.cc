// Range, copy-source range and conditional headers. Input: range header, copy range, then the
// four condition headers, then the ETag, one per line; the object size comes from the range
// line's length so small and large sizes both occur.
#include <cstdlib>

#include "fuzz_input.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::s3;
  ferry::fuzz::FuzzInput in(data, size);
  const uint64_t sizes[] = {0, 1, 100, uint64_t{1} << 40, UINT64_MAX};
  const uint64_t object_size = sizes[in.Byte() % 5];
  std::string_view range = in.Piece();
  std::string_view copy_range = in.Piece();
  GetConditions conditions{std::string(in.Piece()), std::string(in.Piece()),
                           std::string(in.Piece()), std::string(in.Piece())};
  std::string_view etag = in.Piece();
  auto parsed = ParseRange(range, object_size);
  if (parsed.ok() && parsed->has_value()) {
    const ByteRange& r = **parsed;
    // A range the parser accepts lies inside the object.
    if (r.length == 0 || r.start >= object_size || r.length > object_size - r.start) std::abort();
    (void)ContentRangeHeader(r, object_size);
  }
  auto copy = ParseCopySourceRange(copy_range, object_size);
  if (copy.ok() && (copy->length == 0 || copy->start + copy->length > object_size)) std::abort();
  for (auto target : {ConditionTarget::kGetOrHead, ConditionTarget::kCopySource}) {
    (void)EvaluateGetConditions(conditions, etag, 1'700'000'000'000'000'000, target);
  }
  (void)EtagListMatches(conditions.if_match, etag);
  (void)QuoteEtag(UnquoteEtag(etag));
  (void)ParseHttpDate(conditions.if_modified_since);
  (void)ParseIso8601(conditions.if_unmodified_since);
  (void)ParseAmzDate(etag);
  return 0;
}
