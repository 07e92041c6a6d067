#include "s3/posix_meta.h"

#include <gtest/gtest.h>

namespace ferry::s3 {
namespace {

TEST(PosixMeta, RoundTrip) {
  PosixAttributes a;
  a.mode = 0100644;
  a.uid = 1000;
  a.gid = 50;
  a.mtime_ns = 1700000000123456789;
  std::map<std::string, std::string> m;
  EncodePosixAttributes(a, m);
  EXPECT_EQ(m["file-permissions"], "0100644");
  EXPECT_EQ(m["file-mtime"], "1700000000123456789ns");
  EXPECT_EQ(m.count("file-atime"), 0u);
  PosixAttributes b = DecodePosixAttributes(m);
  EXPECT_EQ(b.mode, a.mode);
  EXPECT_EQ(b.uid, a.uid);
  EXPECT_EQ(b.gid, a.gid);
  EXPECT_EQ(b.mtime_ns, a.mtime_ns);
}

TEST(PosixMeta, DirectoryAndSymlinkModes) {
  std::map<std::string, std::string> m;
  EncodePosixAttributes({.mode = 040755}, m);
  EXPECT_EQ(m["file-permissions"], "0040755");
  EncodePosixAttributes({.mode = 0120777}, m);
  EXPECT_EQ(m["file-permissions"], "0120777");
}

TEST(PosixMeta, MillisecondsAndS3fsFallback) {
  auto a = DecodePosixAttributes({{"file-mtime", "1700000000123"}});
  EXPECT_EQ(a.mtime_ns, 1700000000123000000);
  auto s = DecodePosixAttributes({{"mode", "33188"}, {"uid", "7"}, {"mtime", "1700000000"}});
  EXPECT_EQ(s.mode, 0100644u);
  EXPECT_EQ(s.uid, 7u);
  EXPECT_EQ(s.mtime_ns, 1700000000000000000);
  // The DataSync keys win over s3fs's.
  auto both = DecodePosixAttributes({{"mode", "33188"}, {"file-permissions", "0100600"}});
  EXPECT_EQ(both.mode, 0100600u);
  EXPECT_FALSE(DecodePosixAttributes({{"file-owner", "x"}}).uid.has_value());
  // Times too far out for nanoseconds are no time at all (they overflowed).
  EXPECT_FALSE(DecodePosixAttributes({{"file-mtime", "99999999999999999"}}).mtime_ns);
  EXPECT_FALSE(DecodePosixAttributes({{"mtime", "99999999999999999"}}).mtime_ns);
}

}  // namespace
}  // namespace ferry::s3
