// URI and query decoding: never crashes, and what the encoders make decodes back.
#include <cstdlib>
#include <string>

#include "s3/uri.h"
#include "s3/xml_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::s3;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)UriDecode(in);
  (void)ListingUrlDecode(in);
  auto query = ParseQuery(in);
  if (query.ok()) {
    for (const auto& [name, value] : *query) (void)FindQueryParam(*query, name);
  }
  for (bool slash : {false, true}) {
    auto back = UriDecode(UriEncode(in, slash));
    if (!back || *back != in) std::abort();
  }
  auto listed = ListingUrlDecode(ListingUrlEncode(in));
  if (!listed || *listed != in) std::abort();
  return 0;
}
