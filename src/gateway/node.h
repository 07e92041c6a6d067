// One name of the gateway's file tree, as the state database keeps it: its inode number
// (never reused), where it sits, its POSIX attributes, the bucket version its content is based
// on, and what of it is only local (held and changed ranges of the data file, metadata not yet
// written). Journaled bucket operations (Op) are what a rename or delete still owes the bucket.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/result.h"
#include "gateway/range_set.h"

namespace ferry::gateway {

enum class NodeKind : int { kFile = 0, kDirectory = 1, kSymlink = 2 };

struct Node {
  uint64_t ino = 0;
  uint64_t parent = 0;
  std::string name;
  NodeKind kind = NodeKind::kFile;
  uint32_t mode = 0;  // permission bits, without the type
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;
  int64_t ctime_ns = 0;
  // The bucket's object this content is based on: key and ETag ("" when none), and how many
  // of its bytes are still the file's (a truncation cuts them).
  std::string base_key;
  std::string etag;
  uint64_t base_size = 0;
  uint64_t base_valid = 0;
  bool attrs_exact = false;  // mode, owner and times read from the object's metadata
  RangeSet present;          // bytes held in the local data file
  RangeSet dirty;            // bytes changed locally and not uploaded
  bool data_dirty = false;   // the content must be uploaded (a new file, a write, a truncation)
  bool meta_dirty = false;   // only the metadata must be written
  uint64_t change_seq = 0;   // counts local changes
  int64_t dirty_since_ns = 0;
  std::string symlink_target;
  int64_t listed_at_ns = 0;  // directories: when the bucket was last listed for them
  uint32_t replaced = 0;     // times the bucket's version replaced what was shown of the file
  // An upload that was under way: a multipart upload to abort after a crash, and the token
  // its object carries, which tells our own completed upload from another writer's.
  std::string upload_id;
  std::string upload_token;
  // A staging upload of parts sent while the file was written (gateway_stream.cc): aborted,
  // and its object removed, after a crash.
  std::string staging_key;
  std::string staging_upload_id;

  bool is_dir() const { return kind == NodeKind::kDirectory; }
  // Something here the bucket does not have yet.
  bool pending() const { return data_dirty || meta_dirty; }
};

std::string EncodeNode(const Node& node);
Result<Node> DecodeNode(uint64_t ino, std::string_view body);

enum class OpKind : int { kCopy = 0, kDelete = 1, kMovePrefix = 2 };

// A bucket operation the local tree already shows and the bucket still owes, run in order.
struct Op {
  int64_t id = 0;
  OpKind kind = OpKind::kDelete;
  std::string src;   // key, or prefix ending in '/' for kMovePrefix
  std::string dst;   // kCopy, kMovePrefix
  std::string etag;  // kCopy: the source version copied
};

}  // namespace ferry::gateway
