// A bucket's Intelligent-Tiering configurations (Put, Get, Delete, List), kept as one list
// document (s3/intelligent_tiering.h) that the lifecycle worker reads back. Changing one
// configuration rewrites the list: that read-modify-write holds OpContext::documents_mu.
#include <algorithm>

#include "s3/intelligent_tiering.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kMaxConfigurationBodyBytes = 64 << 10;
using Configurations = std::vector<s3::IntelligentTieringConfiguration>;

Status NoSuchConfiguration() {
  return Status(Status::Code::kNotFound, "The specified configuration does not exist.")
      .WithS3Code("NoSuchConfiguration", 404);
}

Result<std::string> IdParam(const OpContext& op) {
  std::string id = op.req.Param("id");
  if (id.empty()) {
    return Status::InvalidArgument("The id parameter is required")
        .WithS3Code("InvalidArgument", 400);
  }
  return id;
}

Result<Configurations> Stored(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto doc,
                         op.store.GetBucketConfig(op.req.bucket, kIntelligentTieringConfig));
  if (!doc) return Configurations{};
  return s3::ParseIntelligentTieringList(*doc);
}

Status Store(OpContext& op, const Configurations& list) {
  std::optional<std::string> doc;
  if (!list.empty()) doc = s3::IntelligentTieringListXml(list);
  return op.store.SetBucketConfig(op.req.bucket, kIntelligentTieringConfig, doc);
}

Configurations::iterator Find(Configurations& list, std::string_view id) {
  return std::find_if(list.begin(), list.end(), [&](const auto& c) { return c.id == id; });
}

}  // namespace

Status PutBucketIntelligentTieringConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string id, IdParam(op));
  FERRY_ASSIGN_OR_RETURN(std::string xml,
                         ReadWholeBody(op.req, op.body, kMaxConfigurationBodyBytes));
  FERRY_ASSIGN_OR_RETURN(s3::IntelligentTieringConfiguration config,
                         s3::ParseIntelligentTieringConfiguration(xml, id));
  {
    std::lock_guard lock(op.documents_mu);
    FERRY_ASSIGN_OR_RETURN(Configurations list, Stored(op));
    if (auto it = Find(list, id); it != list.end()) {
      *it = std::move(config);
    } else if (list.size() >= s3::kMaxIntelligentTieringConfigurations) {
      return Status::InvalidArgument("A bucket may have at most " +
                                     std::to_string(s3::kMaxIntelligentTieringConfigurations) +
                                     " Intelligent-Tiering configurations")
          .WithS3Code("TooManyConfigurations", 400);
    } else {
      list.push_back(std::move(config));
    }
    FERRY_RETURN_IF_ERROR(Store(op, list));
  }
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetBucketIntelligentTieringConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string id, IdParam(op));
  FERRY_ASSIGN_OR_RETURN(Configurations list, Stored(op));
  auto it = Find(list, id);
  if (it == list.end()) return NoSuchConfiguration();
  return SendXml(op.req, s3::IntelligentTieringConfigurationXml(*it), op.out);
}

Status DeleteBucketIntelligentTieringConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string id, IdParam(op));
  {
    std::lock_guard lock(op.documents_mu);
    FERRY_ASSIGN_OR_RETURN(Configurations list, Stored(op));
    auto it = Find(list, id);
    if (it == list.end()) return NoSuchConfiguration();
    list.erase(it);
    FERRY_RETURN_IF_ERROR(Store(op, list));
  }
  return SendEmpty(op.req, 204, op.out, BaseHeaders(op.req));
}

Status ListBucketIntelligentTieringConfigurations(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(Configurations list, Stored(op));
  return SendXml(op.req, s3::IntelligentTieringListXml(list), op.out);
}

}  // namespace ferry::server
