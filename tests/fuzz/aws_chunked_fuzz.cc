// The aws-chunked body decoder in each STREAMING-* mode. The first byte picks the mode and
// the slicing; the body is decoded whole and again in small slices, and both must agree
// (same bytes, same verdict): the decoder is fed by network reads of any size.
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "s3/aws_chunked.h"

namespace {

using ferry::s3::AwsChunkedDecoder;
using ferry::s3::PayloadMode;

struct Outcome {
  std::string decoded;
  bool ok = false;
};

Outcome Decode(const AwsChunkedDecoder::Options& options, std::string_view body, size_t slice) {
  AwsChunkedDecoder decoder(options);
  Outcome out;
  ferry::Status st;
  while (!body.empty() && st.ok()) {
    size_t n = slice == 0 ? body.size() : std::min(slice, body.size());
    st = decoder.Feed(body.substr(0, n), &out.decoded);
    body.remove_prefix(n);
  }
  if (st.ok()) st = decoder.Finish();
  out.ok = st.ok();
  if (out.ok && decoder.decoded_bytes() != out.decoded.size()) std::abort();
  if (out.ok) (void)ferry::s3::ChecksumFromTrailers(decoder.trailers());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::fuzz::FuzzInput in(data, size);
  const uint8_t choice = in.Byte();
  const PayloadMode modes[] = {PayloadMode::kStreamingSigned, PayloadMode::kStreamingSignedTrailer,
                               PayloadMode::kStreamingUnsignedTrailer};
  AwsChunkedDecoder::Options options;
  options.mode = modes[choice % 3];
  options.signing_key = std::string(32, 'k');
  options.amz_date = "20130524T000000Z";
  options.scope = "20130524/us-east-1/s3/aws4_request";
  options.seed_signature = std::string(64, '0');
  options.max_chunk_size = 1 << 16;
  if (choice & 0x80) options.decoded_length = in.Byte();
  const size_t slice = 1 + (choice >> 2 & 0x7);
  std::string_view body = in.Rest();
  Outcome whole = Decode(options, body, 0);
  Outcome sliced = Decode(options, body, slice);
  if (whole.ok != sliced.ok || (whole.ok && whole.decoded != sliced.decoded)) std::abort();
  return 0;
}
