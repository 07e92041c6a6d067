// Every XML body the server parses from clients, and the client's parsers of server answers
// (a hostile or broken endpoint). The first byte picks the parser.
#include <string_view>

#include "fuzz_input.h"
#include "s3/acl.h"
#include "s3/cors.h"
#include "s3/intelligent_tiering.h"
#include "s3/lifecycle.h"
#include "s3/object_lock.h"
#include "s3/public_access_block.h"
#include "s3/restore.h"
#include "s3/tagging.h"
#include "s3/xml.h"
#include "s3/xml_parse.h"
#include "s3/xml_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::s3;
  ferry::fuzz::FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  std::string_view body = in.Rest();
  switch (which % 27) {
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
    case 23: {
      // An ACL document that parses writes back to one that parses to the same grants; the
      // same text as grant headers, and as a stored ACL, never crashes.
      auto acl = ParseAccessControlPolicy(body, "owner");
      if (acl.ok()) {
        const auto none = [](std::string_view) { return std::string(); };
        auto again =
            ParseAccessControlPolicy(AccessControlPolicyXml({"owner", ""}, *acl, none), "owner");
        if (!again.ok() || *again != *acl) __builtin_trap();
        auto stored = DecodeAcl(EncodeAcl(*acl));
        if (!stored.ok() || *stored != *acl) __builtin_trap();
      }
      (void)AclFromHeaders([&](std::string_view name) -> std::optional<std::string_view> {
        if (name == "x-amz-acl" || name == "x-amz-grant-read") return body;
        return std::nullopt;
      });
      (void)DecodeAcl(body);
      break;
    }
    case 24: {
      auto block = ParsePublicAccessBlock(body);
      if (block.ok()) {
        auto again = ParsePublicAccessBlock(PublicAccessBlockXml(*block));
        if (!again.ok() || *again != *block) __builtin_trap();
      }
      break;
    }
    case 25: {
      auto cors = ParseCorsConfiguration(body);
      if (cors.ok() && !ParseCorsConfiguration(CorsConfigurationXml(*cors)).ok()) __builtin_trap();
      break;
    }
    case 26:
      (void)ParseIntelligentTieringConfiguration(body, "a");
      (void)ParseIntelligentTieringList(body);
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
