#include "gateway/node.h"

#include <nlohmann/json.hpp>

namespace ferry::gateway {

std::string EncodeNode(const Node& n) {
  nlohmann::json j = {{"parent", n.parent},
                      {"name", n.name},
                      {"kind", static_cast<int>(n.kind)},
                      {"mode", n.mode},
                      {"uid", n.uid},
                      {"gid", n.gid},
                      {"size", n.size},
                      {"mtime", n.mtime_ns},
                      {"atime", n.atime_ns},
                      {"ctime", n.ctime_ns},
                      {"base_key", n.base_key},
                      {"etag", n.etag},
                      {"base_size", n.base_size},
                      {"base_valid", n.base_valid},
                      {"exact", n.attrs_exact},
                      {"present", n.present.Encode()},
                      {"dirty", n.dirty.Encode()},
                      {"data_dirty", n.data_dirty},
                      {"meta_dirty", n.meta_dirty},
                      {"seq", n.change_seq},
                      {"dirty_since", n.dirty_since_ns},
                      {"symlink", n.symlink_target},
                      {"listed_at", n.listed_at_ns},
                      {"replaced", n.replaced},
                      {"upload_id", n.upload_id},
                      {"upload_token", n.upload_token},
                      {"staging_key", n.staging_key},
                      {"staging_upload_id", n.staging_upload_id}};
  return j.dump();
}

Result<Node> DecodeNode(uint64_t ino, std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("inode " + std::to_string(ino) + ": not JSON");
  Node n;
  n.ino = ino;
  try {
    n.parent = j.at("parent").get<uint64_t>();
    n.name = j.at("name").get<std::string>();
    const int kind = j.at("kind").get<int>();
    if (kind < 0 || kind > 2) return Status::Corruption("inode " + std::to_string(ino) + ": kind");
    n.kind = static_cast<NodeKind>(kind);
    n.mode = j.at("mode").get<uint32_t>();
    n.uid = j.at("uid").get<uint32_t>();
    n.gid = j.at("gid").get<uint32_t>();
    n.size = j.at("size").get<uint64_t>();
    n.mtime_ns = j.at("mtime").get<int64_t>();
    n.atime_ns = j.at("atime").get<int64_t>();
    n.ctime_ns = j.at("ctime").get<int64_t>();
    n.base_key = j.at("base_key").get<std::string>();
    n.etag = j.at("etag").get<std::string>();
    n.base_size = j.at("base_size").get<uint64_t>();
    n.base_valid = j.at("base_valid").get<uint64_t>();
    n.attrs_exact = j.at("exact").get<bool>();
    FERRY_ASSIGN_OR_RETURN(n.present, RangeSet::Decode(j.at("present").get<std::string>()));
    FERRY_ASSIGN_OR_RETURN(n.dirty, RangeSet::Decode(j.at("dirty").get<std::string>()));
    n.data_dirty = j.at("data_dirty").get<bool>();
    n.meta_dirty = j.at("meta_dirty").get<bool>();
    n.change_seq = j.at("seq").get<uint64_t>();
    n.dirty_since_ns = j.at("dirty_since").get<int64_t>();
    n.symlink_target = j.at("symlink").get<std::string>();
    n.listed_at_ns = j.at("listed_at").get<int64_t>();
    n.replaced = j.value("replaced", 0u);
    n.upload_id = j.at("upload_id").get<std::string>();
    n.upload_token = j.at("upload_token").get<std::string>();
    n.staging_key = j.value("staging_key", "");  // absent in state written before streaming
    n.staging_upload_id = j.value("staging_upload_id", "");
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("inode " + std::to_string(ino) + ": " + e.what());
  }
  return n;
}

}  // namespace ferry::gateway
