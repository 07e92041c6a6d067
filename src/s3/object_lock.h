// S3 Object Lock documents: a bucket's ObjectLockConfiguration (enabled, default retention),
// a version's Retention and LegalHold, and the x-amz-object-lock-* request headers. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/result.h"

namespace ferry::s3 {

struct ObjectLockConfiguration {
  bool enabled = true;
  std::string default_mode;  // GOVERNANCE or COMPLIANCE; empty: no default retention
  int days = 0;              // the default's length: days or years, one of them
  int years = 0;
};
// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>[<Rule>
// <DefaultRetention><Mode/><Days/>|<Years/></DefaultRetention></Rule>]</...>.
Result<ObjectLockConfiguration> ParseObjectLockConfiguration(std::string_view body);
std::string ObjectLockConfigurationXml(const ObjectLockConfiguration& config);
// When a new version made at now_ns is retained until under the bucket's default.
int64_t DefaultRetainUntil(const ObjectLockConfiguration& config, int64_t now_ns);

struct Retention {
  std::string mode;  // GOVERNANCE or COMPLIANCE; empty with until 0: none
  int64_t until_ns = 0;
};
// <Retention><Mode/><RetainUntilDate/></Retention>; an empty <Retention/> removes it.
Result<Retention> ParseRetention(std::string_view body);
std::string RetentionXml(const Retention& retention);

// <LegalHold><Status>ON|OFF</Status></LegalHold>.
Result<bool> ParseLegalHold(std::string_view body);
std::string LegalHoldXml(bool on);

bool IsLockMode(std::string_view mode);

}  // namespace ferry::s3
