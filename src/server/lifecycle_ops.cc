// A bucket's lifecycle configuration, stored as the XML this server answers with (validated
// and normalised by s3/lifecycle.h). The worker that applies it reads it back from the store.
#include "s3/lifecycle.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/response.h"

namespace ferry::server {
namespace {

// 1,000 rules with long prefixes and several tags each.
constexpr size_t kMaxLifecycleBodyBytes = size_t{1} << 20;

}  // namespace

Status PutBucketLifecycleConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadWholeBody(op.req, op.body, kMaxLifecycleBodyBytes));
  FERRY_ASSIGN_OR_RETURN(s3::LifecycleConfiguration config, s3::ParseLifecycleConfiguration(xml));
  FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, kLifecycleConfig,
                                                 s3::LifecycleConfigurationXml(config)));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetBucketLifecycleConfiguration(OpContext& op) {
  return SendBucketDocument(
      op, kLifecycleConfig,
      Status(Status::Code::kNotFound, "The lifecycle configuration does not exist")
          .WithS3Code("NoSuchLifecycleConfiguration", 404));
}

Status DeleteBucketLifecycleConfiguration(OpContext& op) {
  return DeleteBucketDocument(op, kLifecycleConfig);
}

}  // namespace ferry::server
