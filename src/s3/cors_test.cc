#include "s3/cors.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ferry::s3 {
namespace {

std::string Doc(const std::string& rules) {
  return "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</CORSConfiguration>";
}
std::string CodeOf(const std::string& body) {
  auto parsed = ParseCorsConfiguration(body);
  return parsed.ok() ? "ok" : parsed.status().s3_code();
}

const std::string kRules =
    Doc("<CORSRule><ID>app</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
        "<AllowedHeader>Content-*</AllowedHeader><AllowedHeader>x-amz-date</AllowedHeader>"
        "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>"
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>");

TEST(CorsTest, RulesAreReadAndWrittenBack) {
  auto c = ParseCorsConfiguration(kRules);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->rules.size(), 2u);
  EXPECT_EQ(c->rules[0].id, "app");
  EXPECT_EQ(c->rules[0].allowed_methods, (std::vector<std::string>{"GET", "PUT"}));
  EXPECT_EQ(c->rules[0].max_age_seconds, 600);
  auto again = ParseCorsConfiguration(CorsConfigurationXml(*c));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->rules[0].allowed_headers, c->rules[0].allowed_headers);
  EXPECT_EQ(again->rules[1].allowed_origins, std::vector<std::string>{"*"});
}

TEST(CorsTest, WhatS3RefusesIsRefusedWithItsCode) {
  const std::string get = "<AllowedMethod>GET</AllowedMethod>";
  const std::string any = "<AllowedOrigin>*</AllowedOrigin>";
  EXPECT_EQ(CodeOf(Doc("")), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc("<CORSRule>" + get + "</CORSRule>")), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc("<CORSRule>" + any + "</CORSRule>")), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc("<CORSRule>" + any + "<AllowedMethod>PATCH</AllowedMethod></CORSRule>")),
            "InvalidRequest");
  EXPECT_EQ(CodeOf(Doc("<CORSRule><AllowedOrigin>*.*</AllowedOrigin>" + get + "</CORSRule>")),
            "InvalidRequest");
  EXPECT_EQ(CodeOf(Doc("<CORSRule>" + any + get + "<AllowedHeader>**</AllowedHeader></CORSRule>")),
            "InvalidRequest");
  EXPECT_EQ(
      CodeOf(Doc("<CORSRule>" + any + get + "<MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>")),
      "MalformedXML");
  std::string many;
  for (int i = 0; i < 101; ++i) many += "<CORSRule>" + any + get + "</CORSRule>";
  EXPECT_EQ(CodeOf(Doc(many)), "InvalidRequest");
  EXPECT_EQ(CodeOf("<CORSConfiguration><CORSRule>"), "MalformedXML");
}

TEST(CorsTest, OriginsMethodsAndHeadersDecideTheRule) {
  auto c = *ParseCorsConfiguration(kRules);
  const std::vector<std::string> ok_headers = {"content-type", "x-amz-date"};
  const std::vector<std::string> bad_headers = {"content-type", "x-amz-acl"};
  const CorsRule* r = MatchCorsRule(c, "https://app.example.com", "PUT", &ok_headers);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->id, "app");
  EXPECT_EQ(MatchCorsRule(c, "https://app.example.com", "PUT", &bad_headers), nullptr);
  EXPECT_EQ(MatchCorsRule(c, "https://app.example.com", "DELETE"), nullptr);
  EXPECT_EQ(MatchCorsRule(c, "http://app.example.com", "PUT"), nullptr);  // scheme differs
  // Any origin may GET, without credentials.
  const CorsRule* open = MatchCorsRule(c, "http://elsewhere.org", "GET");
  ASSERT_NE(open, nullptr);
  auto h = CorsResponseHeaders(*open, "http://elsewhere.org");
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "*"}));
  for (const auto& [name, value] : h) EXPECT_NE(name, "Access-Control-Allow-Credentials");
  auto pre = CorsResponseHeaders(*r, "https://app.example.com", &ok_headers);
  std::map<std::string, std::string> by_name(pre.begin(), pre.end());
  EXPECT_EQ(by_name["Access-Control-Allow-Origin"], "https://app.example.com");
  EXPECT_EQ(by_name["Access-Control-Allow-Methods"], "GET, PUT");
  EXPECT_EQ(by_name["Access-Control-Allow-Headers"], "content-type, x-amz-date");
  EXPECT_EQ(by_name["Access-Control-Expose-Headers"], "ETag");
  EXPECT_EQ(by_name["Access-Control-Max-Age"], "600");
  EXPECT_EQ(by_name["Access-Control-Allow-Credentials"], "true");
  EXPECT_EQ(SplitHeaderList(" Content-Type ,X-Amz-Date,,"),
            (std::vector<std::string>{"content-type", "x-amz-date"}));
}

}  // namespace
}  // namespace ferry::s3
