// SigV4 verification of a request built from the input: the Authorization header and
// presigned-query parsers, canonicalisation, and every refusal path. Input lines: method,
// raw path, raw query, then "name: value" header lines.
#include <string>

#include "core/clock.h"
#include "fuzz_input.h"
#include "s3/sigv4.h"
#include "s3/sigv4_verifier.h"
#include "s3/uri.h"

namespace {

// Verification compares with the secret of a known key; signatures from the seeds were made
// with it, so the fuzzer starts from requests that verify.
const ferry::s3::Verifier& TheVerifier() {
  static const ferry::ManualClock clock(1'369'353'600'000'000'000);  // 2013-05-24
  static const ferry::s3::Verifier verifier([] {
    ferry::s3::Verifier::Options o;
    o.lookup = [](std::string_view key) -> ferry::Result<std::string> {
      if (key == "AKIAIOSFODNN7EXAMPLE")
        return std::string("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
      return ferry::Status::NotFound("no such key");
    };
    o.clock = &clock;
    o.region = "us-east-1";
    return o;
  }());
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::s3;
  ferry::fuzz::FuzzInput in(data, size);
  SignableRequest req;
  req.method = std::string(in.Piece());
  req.path = std::string(in.Piece());
  auto query = ParseQuery(in.Piece());
  if (query.ok()) req.query = std::move(query).value();
  while (!in.Rest().empty()) {
    std::string_view line = in.Piece();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  (void)DetectAuthKind(req);
  if (const std::string* auth = FindHeader(req.headers, "authorization")) {
    (void)ParseAuthorizationHeader(*auth);
  }
  (void)ParsePresignedQuery(req.query);
  auto verified = TheVerifier().Verify(req);
  if (verified.ok()) (void)ParsePayloadMode(verified->payload_sha256);
  return 0;
}
