// LocalStore object versions: what versioning keeps, replaces and marks, reads of one version,
// the listing of all versions and its pages, and that older versions' bodies survive pack
// compaction, reopening and an index written before versions existed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "store/point_in_time_store.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::Put;
using testing::ReadAll;
using testing::StoreFixture;

Result<std::string> ReadVersion(ObjectStore& s, std::string_view key, std::string_view id) {
  FERRY_ASSIGN_OR_RETURN(auto reader, s.OpenObjectVersion("bkt", key, id));
  return testing::ReadAllFrom(*reader);
}

// Every version of the bucket as "key id latest [marker]" lines, read in pages of page_size.
std::vector<std::string> AllVersions(ObjectStore& s, int page_size, int* pages = nullptr) {
  std::vector<std::string> out;
  ListVersionsRequest req;
  req.bucket = "bkt";
  req.max_keys = page_size;
  for (int n = 0; n < 1000; ++n) {
    auto page = s.ListObjectVersions(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const auto& v : page->versions) {
      out.push_back(v.meta.key + " " + v.meta.version_id + (v.is_latest ? " latest" : "") +
                    (v.meta.delete_marker ? " marker" : ""));
    }
    if (pages) ++*pages;
    if (!page->truncated) break;
    req.key_marker = page->next_key_marker;
    req.version_id_marker = page->next_version_id_marker;
  }
  return out;
}

TEST(Versions, UnversionedBucketHasNoVersionIds) {
  StoreFixture f;
  auto& s = *f.store;
  auto put = Put(s, "bkt", "k", "a");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->version_id, "");
  EXPECT_EQ(*s.GetBucketVersioning("bkt"), VersioningStatus::kUnversioned);
  EXPECT_EQ(s.HeadObject("bkt", "k")->version_id, "");
  // "null" names the one version; an id the store could have given names nothing here.
  EXPECT_EQ(*ReadVersion(s, "k", "null"), "a");
  EXPECT_EQ(ReadVersion(s, "k", "0000000000000001").status().s3_code(), "InvalidArgument");
  EXPECT_EQ(ReadVersion(s, "k", "garbage").status().s3_code(), "InvalidArgument");
  EXPECT_EQ(AllVersions(s, 1000), std::vector<std::string>{"k null latest"});
  auto del = s.DeleteObjectVersion("bkt", "k", "");
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->delete_marker);
  EXPECT_TRUE(AllVersions(s, 1000).empty());
}

TEST(Versions, EnabledKeepsEveryVersionAndDeleteAddsAMarker) {
  StoreFixture f;
  auto& s = *f.store;
  ASSERT_TRUE(Put(s, "bkt", "k", "v0").ok());  // before versioning: the null version
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  auto v1 = Put(s, "bkt", "k", "v1");
  auto v2 = Put(s, "bkt", "k", "v2");
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_EQ(v1->version_id.size(), 16u);
  EXPECT_NE(v1->version_id, v2->version_id);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "v2");
  EXPECT_EQ(*ReadVersion(s, "k", v1->version_id), "v1");
  EXPECT_EQ(*ReadVersion(s, "k", "null"), "v0");
  EXPECT_EQ(s.HeadObject("bkt", "k")->version_id, v2->version_id);

  auto marker = s.DeleteObjectVersion("bkt", "k", "");
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->delete_marker);
  EXPECT_EQ(ReadAll(s, "bkt", "k").status().s3_code(), "NoSuchKey");
  EXPECT_EQ(s.HeadObject("bkt", "k").status().s3_code(), "NoSuchKey");
  auto latest = s.HeadObjectVersion("bkt", "k", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->delete_marker);
  EXPECT_EQ(latest->version_id, marker->version_id);
  EXPECT_EQ(ReadVersion(s, "k", marker->version_id).status().s3_code(), "MethodNotAllowed");
  EXPECT_EQ(ReadVersion(s, "k", "00000000000000ff").status().s3_code(), "NoSuchVersion");
  // Listing current objects skips the key; listing versions shows all four.
  EXPECT_TRUE(s.ListObjects({.bucket = "bkt"})->objects.empty());
  EXPECT_EQ(AllVersions(s, 1000),
            (std::vector<std::string>{"k " + marker->version_id + " latest marker",
                                      "k " + v2->version_id, "k " + v1->version_id, "k null"}));
  // Removing the marker brings v2 back; removing v2 then makes v1 current.
  ASSERT_TRUE(s.DeleteObjectVersion("bkt", "k", marker->version_id).ok());
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "v2");
  auto gone = s.DeleteObjectVersion("bkt", "k", v2->version_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->version_id, v2->version_id);
  EXPECT_FALSE(gone->delete_marker);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "v1");
  EXPECT_EQ(ReadVersion(s, "k", v2->version_id).status().s3_code(), "NoSuchVersion");
  // Deleting a version that is not there succeeds, as in S3.
  EXPECT_TRUE(s.DeleteObjectVersion("bkt", "k", v2->version_id).ok());
  // A bucket with versions left is not empty; without them it can go.
  EXPECT_EQ(s.DeleteBucket("bkt").s3_code(), "BucketNotEmpty");
  ASSERT_TRUE(s.DeleteObjectVersion("bkt", "k", v1->version_id).ok());
  ASSERT_TRUE(s.DeleteObjectVersion("bkt", "k", "null").ok());
  EXPECT_TRUE(AllVersions(s, 1000).empty());
  EXPECT_TRUE(s.DeleteBucket("bkt").ok());
}

TEST(Versions, SuspendedReplacesTheNullVersionOnly) {
  StoreFixture f;
  auto& s = *f.store;
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  auto kept = Put(s, "bkt", "k", "kept");
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kSuspended).ok());
  EXPECT_EQ(*s.GetBucketVersioning("bkt"), VersioningStatus::kSuspended);
  auto n1 = Put(s, "bkt", "k", "null one");
  ASSERT_TRUE(n1.ok());
  EXPECT_EQ(n1->version_id, "null");
  ASSERT_TRUE(Put(s, "bkt", "k", "null two").ok());
  EXPECT_EQ(AllVersions(s, 1000),
            (std::vector<std::string>{"k null latest", "k " + kept->version_id}));
  EXPECT_EQ(*ReadVersion(s, "k", "null"), "null two");
  // A delete replaces the null version with a null delete marker.
  auto marker = s.DeleteObjectVersion("bkt", "k", "");
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(marker->version_id, "null");
  EXPECT_TRUE(marker->delete_marker);
  EXPECT_EQ(AllVersions(s, 1000),
            (std::vector<std::string>{"k null latest marker", "k " + kept->version_id}));
  ASSERT_TRUE(s.DeleteObjectVersion("bkt", "k", "null").ok());
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "kept");
  // Versioning cannot go back to never enabled.
  EXPECT_FALSE(s.SetBucketVersioning("bkt", VersioningStatus::kUnversioned).ok());
}

TEST(Versions, ListingPagesResumeInsideAKey) {
  StoreFixture f;
  auto& s = *f.store;
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  for (int i = 0; i < 30; ++i) {
    std::string key = "dir/k" + std::to_string(i % 4);
    if (i % 7 == 6) {
      ASSERT_TRUE(s.DeleteObject("bkt", key).ok());
    } else {
      ASSERT_TRUE(Put(s, "bkt", key, Bytes(10 + i, i)).ok());
    }
  }
  std::vector<std::string> whole = AllVersions(s, 1000);
  EXPECT_EQ(whole.size(), 30u);
  for (int page_size : {1, 2, 3, 7, 29}) {
    int pages = 0;
    EXPECT_EQ(AllVersions(s, page_size, &pages), whole) << page_size;
    EXPECT_EQ(pages, (30 + page_size - 1) / page_size) << page_size;
  }
  // Exactly one latest per key, first within its key.
  std::string previous;
  for (const auto& line : whole) {
    std::string key = line.substr(0, line.find(' '));
    EXPECT_EQ(line.find(" latest") != std::string::npos, key != previous) << line;
    previous = key;
  }
  // A delimiter groups keys; a prefix narrows.
  auto grouped = s.ListObjectVersions({.bucket = "bkt", .delimiter = "/"});
  ASSERT_TRUE(grouped.ok());
  EXPECT_TRUE(grouped->versions.empty());
  EXPECT_EQ(grouped->common_prefixes, std::vector<std::string>{"dir/"});
  auto one = s.ListObjectVersions({.bucket = "bkt", .prefix = "dir/k1"});
  ASSERT_TRUE(one.ok());
  for (const auto& v : one->versions) EXPECT_EQ(v.meta.key, "dir/k1");
  // Markers: a version marker needs a key marker; a bad one is refused.
  EXPECT_EQ(s.ListObjectVersions({.bucket = "bkt", .version_id_marker = "null"}).status().s3_code(),
            "InvalidArgument");
  EXPECT_EQ(s.ListObjectVersions(
                 {.bucket = "bkt", .key_marker = "dir/k1", .version_id_marker = "nonsense"})
                .status()
                .s3_code(),
            "InvalidArgument");
}

TEST(Versions, OlderVersionsSurvivePackCompactionAndReopen) {
  LocalStoreOptions o = testing::FastOptions();
  o.inline_threshold = 0;
  o.pack_threshold = 100000;
  o.pack_size = 4 << 20;
  StoreFixture f(o);
  auto& s = *f.store;
  std::string bucket_dir = f.dir.path() + "/root/bkt";
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  std::vector<std::string> first_ids;
  for (int i = 0; i < 100; ++i) {
    auto put = Put(s, "bkt", "k" + std::to_string(i), Bytes(90000, i));
    ASSERT_TRUE(put.ok());
    first_ids.push_back(put->version_id);
  }
  // Second versions of every key, then drop most first versions and the second ones of the
  // rest: packs go sparse and get compacted, moving older versions' bodies.
  std::vector<std::string> second_ids;
  for (int i = 0; i < 100; ++i) {
    auto put = Put(s, "bkt", "k" + std::to_string(i), Bytes(90000, 1000 + i));
    ASSERT_TRUE(put.ok());
    second_ids.push_back(put->version_id);
  }
  const size_t packs_before = testing::CountBlobFiles(bucket_dir);
  for (int i = 0; i < 100; ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::string& id = i % 10 == 0 ? second_ids[i] : first_ids[i];
    ASSERT_TRUE(s.DeleteObjectVersion("bkt", key, id).ok());
  }
  for (int wait = 0; wait < 500 && testing::CountBlobFiles(bucket_dir) > 4; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(testing::CountBlobFiles(bucket_dir), packs_before);  // compaction ran
  auto check = [&](ObjectStore& store) {
    for (int i = 0; i < 100; ++i) {
      const std::string key = "k" + std::to_string(i);
      std::string expected = i % 10 == 0 ? Bytes(90000, i) : Bytes(90000, 1000 + i);
      auto body = ReadAll(store, "bkt", key);
      ASSERT_TRUE(body.ok()) << key;
      EXPECT_TRUE(*body == expected) << key;
    }
  };
  check(s);
  f.Reopen();
  f.store.reset();
  EXPECT_TRUE(testing::BlobInconsistencies(bucket_dir).empty());
  f.Reopen();
  check(*f.store);
  EXPECT_EQ(*f.store->GetBucketVersioning("bkt"), VersioningStatus::kEnabled);
}

TEST(Versions, AnIndexFromBeforeVersionsIsUpgradedInPlace) {
  StoreFixture f;
  ASSERT_TRUE(Put(*f.store, "bkt", "old", "before").ok());
  f.store.reset();
  // Turn the index back into format 1 (no versions table, no version columns).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((f.dir.path() + "/root/bkt/index.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX versions_by_pack; DROP TABLE versions; "
                         "ALTER TABLE objects DROP COLUMN vseq; "
                         "ALTER TABLE objects DROP COLUMN vnull; PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  f.Reopen();
  auto& s = *f.store;
  EXPECT_EQ(*ReadAll(s, "bkt", "old"), "before");
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  auto next = Put(s, "bkt", "old", "after");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*ReadVersion(s, "old", "null"), "before");
  EXPECT_EQ(*ReadAll(s, "bkt", "old"), "after");
}

TEST(Versions, ConcurrentWritersAndDeletersKeepOneConsistentHistory) {
  StoreFixture f;
  auto& s = *f.store;
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if ((i + t) % 5 == 0) {
          EXPECT_TRUE(s.DeleteObject("bkt", "hot").ok());
        } else {
          EXPECT_TRUE(Put(s, "bkt", "hot", std::to_string(t) + ":" + std::to_string(i)).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> all = AllVersions(s, 1000);
  EXPECT_EQ(all.size(), 200u);
  std::set<std::string> ids;
  for (const auto& line : all) ids.insert(line.substr(4, 16));
  EXPECT_EQ(ids.size(), 200u);  // every version its own id
  // The newest is the only latest, and the current object is the newest non-marker version
  // exactly when the newest is not a marker.
  EXPECT_NE(all.front().find(" latest"), std::string::npos);
  auto head = s.HeadObjectVersion("bkt", "hot", "");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(all.front().substr(4, 16), head->version_id);
  EXPECT_EQ(all.front().find(" marker") != std::string::npos, head->delete_marker);
}

}  // namespace
}  // namespace ferry

namespace ferry {
namespace {

std::vector<std::string> ListAll(ObjectStore& s, const std::string& delimiter, int page_size) {
  std::vector<std::string> out;
  ListObjectsRequest req{.bucket = "bkt", .delimiter = delimiter, .max_keys = page_size};
  for (int n = 0; n < 100; ++n) {
    auto page = s.ListObjects(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const auto& o : page->objects) out.push_back(o.key);
    for (const auto& p : page->common_prefixes) out.push_back(p);
    if (!page->truncated) break;
    req.start_after = page->last;
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(PointInTime, ReadsEveryKeyAsItWasThen) {
  StoreFixture f;
  auto& s = *f.store;
  ASSERT_TRUE(s.SetBucketVersioning("bkt", VersioningStatus::kEnabled).ok());
  for (const char* k : {"a", "b", "c", "dir/x", "dir/y"}) {
    ASSERT_TRUE(Put(s, "bkt", k, std::string("old ") + k).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t then = WallNanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(Put(s, "bkt", "a", "new a").ok());
  ASSERT_TRUE(s.DeleteObject("bkt", "b").ok());
  ASSERT_TRUE(Put(s, "bkt", "d", "added").ok());
  ASSERT_TRUE(s.DeleteObject("bkt", "dir/x").ok());
  ASSERT_TRUE(s.DeleteObject("bkt", "dir/y").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put(s, "bkt", "c", "churn " + std::to_string(i)).ok());

  PointInTimeStore at(std::move(f.store), then);
  for (int page_size : {1, 2, 1000}) {
    EXPECT_EQ(ListAll(at, "", page_size),
              (std::vector<std::string>{"a", "b", "c", "dir/x", "dir/y"}))
        << page_size;
    EXPECT_EQ(ListAll(at, "/", page_size), (std::vector<std::string>{"a", "b", "c", "dir/"}))
        << page_size;
  }
  EXPECT_EQ(*ReadAll(at, "bkt", "a"), "old a");
  EXPECT_EQ(*ReadAll(at, "bkt", "c"), "old c");
  EXPECT_EQ(at.HeadObject("bkt", "b")->size, 5u);
  EXPECT_EQ(at.HeadObject("bkt", "d").status().s3_code(), "NoSuchKey");
  // Writes are refused; the store underneath moved on.
  EXPECT_EQ(at.DeleteObject("bkt", "a").code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(*ReadAll(at.inner(), "bkt", "a"), "new a");
}

}  // namespace
}  // namespace ferry
