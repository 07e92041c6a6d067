#include "sync/state_db.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace ferry::sync {
namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "data/f%06d", i);
  return buf;
}

Entry Listed(const std::string& key, int i) {
  Entry e;
  e.name = key;
  e.etag = "etag" + std::to_string(i);
  e.size = static_cast<uint64_t>(i);
  e.last_modified_ns = 1000 + i;
  return e;
}

class StateDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto db = StateDb::Open(dir_.string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Records every third key of 0..n-1 (odd ones with attributes) for location "loc".
  void RecordEveryThird(int n) {
    for (int i = 0; i < n; i += 3) {
      Entry e = Listed(Key(i), i);
      e.attrs.mode = 0100644;
      e.attrs.uid = static_cast<uint32_t>(i);
      db_->RecordObject("loc", Key(i), e);
    }
    ASSERT_TRUE(db_->Flush().ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<StateDb> db_;
};

TEST_F(StateDbTest, OrderedLookupsAnswerAsPointLookupsAcrossManyReads) {
  const int n = 5000;  // several reads of 1,024 records
  RecordEveryThird(n);
  db_->RecordObject("other", Key(1), Listed(Key(1), 1));  // another location's record
  StateDb::OrderedLookup ordered(*db_, "loc");
  for (int i = 0; i < n; ++i) {
    Entry a = Listed(Key(i), i), b = Listed(Key(i), i);
    const bool hit = ordered.Lookup(Key(i), a);
    EXPECT_EQ(hit, db_->LookupObject("loc", Key(i), b)) << i;
    EXPECT_EQ(hit, i % 3 == 0) << i;
    if (hit) {
      EXPECT_TRUE(a.has_attrs);
      EXPECT_EQ(a.attrs.uid, static_cast<uint32_t>(i));
    }
  }
  Entry past = Listed("zzz", 1);
  EXPECT_FALSE(ordered.Lookup("zzz", past));
}

TEST_F(StateDbTest, OrderedLookupsRefuseStaleRecordsAndCopeWithKeysOutOfOrder) {
  RecordEveryThird(30);
  StateDb::OrderedLookup ordered(*db_, "loc");
  Entry changed = Listed(Key(3), 3);
  changed.etag = "rewritten";
  EXPECT_FALSE(ordered.Lookup(Key(3), changed)) << "another version than the one recorded";
  Entry later = Listed(Key(27), 27);
  EXPECT_TRUE(ordered.Lookup(Key(27), later));
  Entry earlier = Listed(Key(6), 6);
  EXPECT_TRUE(ordered.Lookup(Key(6), earlier)) << "a key below the last one is still found";
  // The first lookup recorded the listing's Last-Modified: a new one now invalidates it.
  Entry touched = Listed(Key(6), 6);
  touched.last_modified_ns += 1;
  EXPECT_FALSE(db_->LookupObject("loc", Key(6), touched));
}

}  // namespace
}  // namespace ferry::sync
