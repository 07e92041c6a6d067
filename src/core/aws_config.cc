#include "core/aws_config.h"

#include <fstream>
#include <sstream>

namespace ferry {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

IniSections ReadIniFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  return ParseAwsIni(text.str());
}

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

IniSections ParseAwsIni(std::string_view text) {
  IniSections out;
  std::string section;
  std::string parent_key;  // the key of an open sub-section ("s3 =")
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view raw = text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() + 1 : eol + 1;
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      parent_key.clear();
      out[section];
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos || section.empty()) continue;
    std::string key(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (indented && !parent_key.empty()) {
      out[section][parent_key + "." + key] = value;
      continue;
    }
    parent_key = value.empty() ? key : std::string();
    out[section][key] = value;
  }
  return out;
}

Result<AwsConfig> ResolveAwsConfig(const AwsConfigInputs& in) {
  auto env = [&](const char* name) { return Get(in.env, name); };
  AwsConfig cfg;
  bool profile_named = true;
  cfg.profile = in.profile_flag;
  if (cfg.profile.empty()) cfg.profile = env("AWS_PROFILE");
  if (cfg.profile.empty()) cfg.profile = env("AWS_DEFAULT_PROFILE");
  if (cfg.profile.empty()) {
    cfg.profile = "default";
    profile_named = false;
  }
  std::string aws_dir = in.home.empty() ? std::string() : in.home + "/.aws";
  std::string cred_path = env("AWS_SHARED_CREDENTIALS_FILE");
  if (cred_path.empty() && !aws_dir.empty()) cred_path = aws_dir + "/credentials";
  std::string config_path = env("AWS_CONFIG_FILE");
  if (config_path.empty() && !aws_dir.empty()) config_path = aws_dir + "/config";
  IniSections creds_file = cred_path.empty() ? IniSections() : ReadIniFile(cred_path);
  IniSections config_file = config_path.empty() ? IniSections() : ReadIniFile(config_path);

  const std::map<std::string, std::string> empty;
  auto cred_it = creds_file.find(cfg.profile);
  const auto& cred_section = cred_it == creds_file.end() ? empty : cred_it->second;
  std::string config_name = cfg.profile == "default" ? "default" : "profile " + cfg.profile;
  auto conf_it = config_file.find(config_name);
  const auto& conf_section = conf_it == config_file.end() ? empty : conf_it->second;
  if (profile_named && cred_it == creds_file.end() && conf_it == config_file.end()) {
    return Status::NotFound("The config profile (" + cfg.profile + ") could not be found");
  }

  if (in.profile_flag.empty() && !env("AWS_ACCESS_KEY_ID").empty()) {
    cfg.access_key_id = env("AWS_ACCESS_KEY_ID");
    cfg.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    cfg.session_token = env("AWS_SESSION_TOKEN");
    cfg.credentials_source = "environment";
  } else if (!Get(cred_section, "aws_access_key_id").empty()) {
    cfg.access_key_id = Get(cred_section, "aws_access_key_id");
    cfg.secret_access_key = Get(cred_section, "aws_secret_access_key");
    cfg.session_token = Get(cred_section, "aws_session_token");
    cfg.credentials_source = "credentials file";
  } else if (!Get(conf_section, "aws_access_key_id").empty()) {
    cfg.access_key_id = Get(conf_section, "aws_access_key_id");
    cfg.secret_access_key = Get(conf_section, "aws_secret_access_key");
    cfg.session_token = Get(conf_section, "aws_session_token");
    cfg.credentials_source = "config file";
  }

  for (const std::string& candidate : {in.region_flag, env("AWS_REGION"), env("AWS_DEFAULT_REGION"),
                                       Get(conf_section, "region"), std::string("us-east-1")}) {
    if (!candidate.empty()) {
      cfg.region = candidate;
      break;
    }
  }
  for (const std::string& candidate :
       {in.endpoint_flag, env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"),
        Get(conf_section, "s3.endpoint_url"), Get(conf_section, "endpoint_url")}) {
    if (!candidate.empty()) {
      cfg.endpoint_url = candidate;
      break;
    }
  }
  cfg.addressing_style = Get(conf_section, "s3.addressing_style");
  if (cfg.addressing_style.empty()) cfg.addressing_style = "auto";
  return cfg;
}

}  // namespace ferry
