// AWS-style configuration: which credentials, region and endpoint a client uses, resolved the
// way the AWS CLI does, so a user's existing setup works unchanged.
//
// Precedence, first match wins:
//   profile:     --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"
//   credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (ignored when
//                --profile is given, as the AWS CLI does), the credentials file's [PROFILE],
//                the config file's [profile PROFILE] ([default] for "default")
//   region:      --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, "us-east-1"
//   endpoint:    --endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//                "s3 = endpoint_url" sub-setting, its endpoint_url; empty means AWS itself
//   files:       AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
//                (~/.aws/config)
// Pure function of its inputs: the caller passes the environment and home directory.
#pragma once

#include <map>
#include <string>

#include "ferry/result.h"

namespace ferry {

// One INI file as AWS writes them: section → key → value. Indented lines under a key with an
// empty value form a sub-section, stored as "key.subkey" (e.g. "s3.addressing_style").
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections ParseAwsIni(std::string_view text);

struct AwsConfigInputs {
  std::map<std::string, std::string> env;  // the process environment
  std::string home;                        // for ~/.aws; empty: no home files
  std::string profile_flag;                // --profile
  std::string region_flag;                 // --region
  std::string endpoint_flag;               // --endpoint-url
};

struct AwsConfig {
  std::string profile;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string region;
  std::string endpoint_url;
  std::string addressing_style;    // "path", "virtual" or "auto" (the default)
  std::string credentials_source;  // "environment", "credentials file", ... for messages
};

// Fails only when a named profile (--profile or AWS_PROFILE) exists in neither file.
// Missing credentials are not an error here: anonymous use is possible.
Result<AwsConfig> ResolveAwsConfig(const AwsConfigInputs& inputs);

}  // namespace ferry
