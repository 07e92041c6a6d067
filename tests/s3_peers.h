// S3 servers for S3Store's integration test, each on a free 127.0.0.1 port:
//   FerryPeer   ferry serve's S3Server in this process over a LocalStore in a temp directory;
//   S3rverPeer  the npm s3rver (Node) as a child process, installed once into a cache
//               directory when npm is available, stopped by pid.
// What each peer supports differs; PeerTraits says what the tests may expect. Test-only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "ferry/result.h"
#include "s3/sigv4.h"

namespace ferry::testing {

struct PeerTraits {
  bool checksums = true;                // stores x-amz-checksum-* and echoes them
  bool multipart_admin = true;          // ListParts, AbortMultipartUpload, ListMultipartUploads
  bool upload_part_copy = true;         // multipart copy
  bool conditional_get = true;          // If-Match on GET (pinned reads)
  bool url_encoded_copy_source = true;  // decodes every %XX of x-amz-copy-source
  bool multipart_etag_suffix = true;    // multipart ETags end in "-N"
  bool odd_path_segments = true;        // keys with "//", "." and ".." segments
  bool verifies_signatures = true;      // refuses a SigV4 signature made with a wrong secret
  int list_objects_version = 2;         // the listing API whose paging works
};

class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string name() const = 0;
  virtual uint16_t port() const = 0;
  virtual s3::Credentials credentials() const = 0;
  virtual PeerTraits traits() const = 0;
};

// A directory under /tmp removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<std::unique_ptr<Peer>> StartFerryPeer();
// NotFound when node/npm or the s3rver package are unavailable.
Result<std::unique_ptr<Peer>> StartS3rverPeer();

uint16_t FreePort();

}  // namespace ferry::testing
