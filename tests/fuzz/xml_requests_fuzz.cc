// Every XML body the server parses from clients, and the client's parsers of server answers
// (a hostile or broken endpoint). The first byte picks the parser.
#include <string_view>

#include "fuzz_input.h"
#include "s3/lifecycle.h"
#include "s3/object_lock.h"
#include "s3/restore.h"
#include "s3/tagging.h"
#include "s3/xml_parse.h"
#include "s3/xml_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::s3;
  ferry::fuzz::FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  std::string_view body = in.Rest();
  switch (which % 23) {
    case 0:
      (void)ParseCompleteMultipartUpload(body);
      break;
    case 1:
      (void)ParseDeleteObjects(body);
      break;
    case 2:
      (void)ParseVersioningConfiguration(body);
      break;
    case 3:
      (void)ParseCreateBucketConfiguration(body);
      break;
    case 4:
      (void)ParseTaggingXml(body);
      break;
    case 5:
      (void)ParseTaggingHeader(body);
      break;
    case 6:
      (void)ParseObjectLockConfiguration(body);
      break;
    case 7:
      (void)ParseRetention(body);
      break;
    case 8:
      (void)ParseLegalHold(body);
      break;
    case 9:
      (void)IsErrorDocument(body);
      (void)ParseErrorResponse(body);
      break;
    case 10:
      (void)ParseListBucketsResult(body);
      break;
    case 11:
      (void)ParseListObjectsV2Result(body);
      break;
    case 12:
      (void)ParseListVersionsResult(body);
      break;
    case 13:
      (void)ParseInitiateMultipartUploadResult(body);
      break;
    case 14:
      (void)ParseCompleteMultipartUploadResult(body);
      break;
    case 15:
      (void)ParseCopyObjectResult(body);
      break;
    case 16:
      (void)ParseCopyPartResult(body);
      break;
    case 17:
      (void)ParseListPartsResult(body);
      break;
    case 18:
      (void)ParseListMultipartUploadsResult(body);
      break;
    case 19:
      (void)ParseDeleteResult(body);
      break;
    case 21: {
      auto config = ParseLifecycleConfiguration(body);
      // A configuration that parses writes back to XML that parses to the same document.
      if (config.ok()) {
        const std::string xml = LifecycleConfigurationXml(*config);
        auto again = ParseLifecycleConfiguration(xml);
        if (!again.ok() || LifecycleConfigurationXml(*again) != xml) __builtin_trap();
      }
      break;
    }
    case 22:
      (void)ParseRestoreRequest(body);
      (void)ParseRestoreTimes(body);
      break;
    default: {
      auto tags = ParseTaggingXml(body);
      // Tags that parse and validate write back to XML that parses to the same tags.
      if (tags.ok() && ValidateTags(*tags, 50).ok()) {
        auto again = ParseTaggingXml(TaggingXml(*tags));
        if (!again.ok() || *again != *tags) __builtin_trap();
      }
    }
  }
  return 0;
}
