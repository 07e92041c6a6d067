#include "sync/compare.h"

#include <gtest/gtest.h>

namespace ferry::sync {
namespace {

Entry File(uint64_t size, int64_t mtime, uint32_t mode = 0100644) {
  Entry e;
  e.name = "f";
  e.size = size;
  e.attrs.mode = mode;
  e.attrs.mtime_ns = mtime;
  e.has_attrs = true;
  return e;
}

TEST(Compare, NewAndExtra) {
  Entry f = File(1, 1);
  EXPECT_EQ(Decide(&f, nullptr, {}).action, Action::kCopy);
  EXPECT_EQ(Decide(nullptr, &f, {}).action, Action::kDelete);
}

TEST(Compare, ChangedModeUsesSizeAndMtime) {
  Entry a = File(10, 1'700'000'000'123'456'789);
  Entry b = a;
  EXPECT_EQ(Decide(&a, &b, {}).action, Action::kSkip);
  b.size = 11;
  EXPECT_EQ(Decide(&a, &b, {}).action, Action::kCopy);
  b = a;
  b.attrs.mtime_ns = *a.attrs.mtime_ns + 1;
  EXPECT_EQ(Decide(&a, &b, {}).action, Action::kCopy);
  b = a;
  b.attrs.mode = 0100600;
  Decision d = Decide(&a, &b, {});
  EXPECT_EQ(d.action, Action::kUpdateMetadata);
  EXPECT_EQ(d.reason, "mode changed");
}

TEST(Compare, WithoutStoredMtimeTheDestinationMustNotBeOlder) {
  Entry local = File(10, 2'000'000'000'000'000'000);
  Entry object;
  object.name = "f";
  object.size = 10;
  object.has_attrs = true;  // HEAD showed no file-* metadata
  object.last_modified_ns = 2'000'000'001'000'000'000;
  EXPECT_EQ(Decide(&local, &object, {}).action, Action::kSkip);
  object.last_modified_ns = 1'999'999'999'000'000'000;
  EXPECT_EQ(Decide(&local, &object, {}).action, Action::kCopy);
}

TEST(Compare, ChecksumModeSeesSameSizeSameMtimeChanges) {
  CompareOptions o;
  o.mode = CompareMode::kChecksum;
  Entry a = File(10, 5), b = File(10, 5);
  a.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "AAAAAA=="};
  b.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "AAAAAB=="};
  EXPECT_EQ(Decide(&a, &b, o).action, Action::kCopy);
  b.checksum->value = a.checksum->value;
  EXPECT_EQ(Decide(&a, &b, o).action, Action::kSkip);
  b.attrs.mtime_ns = 6;  // touched: same data, new time
  EXPECT_EQ(Decide(&a, &b, o).action, Action::kUpdateMetadata);
  b.checksum.reset();
  EXPECT_TRUE(NeedsDetails(&a, &b, o).dst_checksum);
}

TEST(Compare, AllNoOverwriteAndSpecialFiles) {
  Entry a = File(10, 5), b = File(10, 5);
  CompareOptions all;
  all.mode = CompareMode::kAll;
  EXPECT_EQ(Decide(&a, &b, all).action, Action::kCopy);
  CompareOptions keep;
  keep.no_overwrite = true;
  b.size = 3;
  EXPECT_EQ(Decide(&a, &b, keep).action, Action::kSkip);
  a.kind = EntryKind::kSpecial;
  EXPECT_EQ(Decide(&a, nullptr, {}).action, Action::kSkip);
}

TEST(Compare, KindChangesCopy) {
  Entry a = File(10, 5), b = File(10, 5);
  b.kind = EntryKind::kSymlink;
  EXPECT_EQ(Decide(&a, &b, {}).action, Action::kCopy);
}

TEST(Compare, TimesAtTheCoarserPrecision) {
  EXPECT_TRUE(SameTime(1'700'000'000'123'456'789, 1'700'000'000'123'000'000));  // ms
  EXPECT_TRUE(SameTime(1'700'000'000'123'456'789, 1'700'000'000'000'000'000));  // s
  EXPECT_FALSE(SameTime(1'700'000'000'123'456'789, 1'700'000'000'124'000'000));
  EXPECT_FALSE(SameTime(1'700'000'000'123'456'789, 1'700'000'000'123'456'788));
}

TEST(Compare, ListingAloneDecidesSizeChanges) {
  Entry local = File(10, 5);
  Entry object;
  object.name = "f";
  object.size = 11;
  EXPECT_FALSE(NeedsDetails(&local, &object, {}).any());
  object.size = 10;
  EXPECT_TRUE(NeedsDetails(&local, &object, {}).dst_attrs);
}

}  // namespace
}  // namespace ferry::sync
