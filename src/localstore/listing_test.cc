// ListGrouped against a brute-force model, directly and through LocalStore::ListObjects.
#include "store/grouped_listing.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "testing/store_test_util.h"

namespace ferry::local {
namespace {

struct Item {
  std::string name;
  bool prefix;
  bool operator==(const Item&) const = default;
};

// The whole listing, by definition: keys under prefix grouped at the first delimiter after
// it; keys and common prefixes <= start_after dropped.
std::vector<Item> Model(const std::set<std::string>& keys, const std::string& prefix,
                        const std::string& delimiter, const std::string& start_after) {
  std::vector<Item> out;
  for (const auto& k : keys) {
    if (!k.starts_with(prefix)) continue;
    size_t pos = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
    Item item =
        pos == std::string::npos ? Item{k, false} : Item{k.substr(0, pos + delimiter.size()), true};
    if (item.name <= start_after) continue;
    if (!out.empty() && out.back() == item) continue;
    out.push_back(item);
  }
  return out;
}

class MapCursor final : public SortedCursor {
 public:
  explicit MapCursor(const std::set<std::string>* keys) : keys_(keys) {}
  Status Seek(std::string_view lower) override {
    ++seeks;
    it_ = keys_->lower_bound(std::string(lower));
    return Status::OK();
  }
  Status Next() override {
    ++it_;
    ++steps;
    return Status::OK();
  }
  bool Valid() const override { return it_ != keys_->end(); }
  std::string_view key() const override { return *it_; }
  int seeks = 0, steps = 0;

 private:
  const std::set<std::string>* keys_;
  std::set<std::string>::const_iterator it_;
};

std::vector<Item> ListAllPages(const std::set<std::string>& keys, const std::string& prefix,
                               const std::string& delimiter, int max) {
  std::vector<Item> out;
  std::string after;
  for (int page = 0; page < 100000; ++page) {
    MapCursor c(&keys);
    EXPECT_TRUE(c.Seek(ListingStart(prefix, after)).ok());
    GroupedListing spec{prefix, delimiter, after, max};
    size_t before = out.size();
    auto r = ListGrouped(
        c, spec,
        [&] {
          out.push_back({std::string(c.key()), false});
        },
        [&](const std::string& p) {
          out.push_back({p, true});
        });
    EXPECT_TRUE(r.ok());
    EXPECT_LE(out.size() - before, static_cast<size_t>(max));
    if (!r->truncated) break;
    EXPECT_EQ(out.size() - before, static_cast<size_t>(max));
    after = r->last;
  }
  return out;
}

std::set<std::string> RandomKeys(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> parts = {"a",  "b",   "a/", "/", "//",
                                          "..", "x y", "é",  "+", "%2F",
                                          "z",  "a-",  "0",  "~", std::string("\xf0\x9f\x99\x82")};
  std::set<std::string> keys;
  while (static_cast<int>(keys.size()) < n) {
    std::string k;
    int len = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < len; ++i) k += parts[rng() % parts.size()];
    keys.insert(k);
  }
  return keys;
}

TEST(Listing, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("a/"), "a0");
  EXPECT_EQ(PrefixSuccessor("ab\xff"), "ac");
  EXPECT_FALSE(PrefixSuccessor("").has_value());
  EXPECT_FALSE(PrefixSuccessor("\xff\xff").has_value());
}

TEST(Listing, MatchesModel) {
  auto keys = RandomKeys(400, 1);
  for (std::string prefix : {"", "a", "a/", "b", "é", "zz"}) {
    for (std::string delimiter : {"", "/", "a", "//"}) {
      for (std::string after : {"", "a", "a/", "b/a", "é"}) {
        MapCursor c(&keys);
        ASSERT_TRUE(c.Seek(ListingStart(prefix, after)).ok());
        std::vector<Item> got;
        GroupedListing spec{prefix, delimiter, after, 100000};
        auto r = ListGrouped(
            c, spec,
            [&] {
              got.push_back({std::string(c.key()), false});
            },
            [&](const std::string& p) {
              got.push_back({p, true});
            });
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->truncated);
        EXPECT_EQ(got, Model(keys, prefix, delimiter, after))
            << "prefix=" << prefix << " delimiter=" << delimiter << " after=" << after;
      }
      for (int max : {1, 2, 7, 1000}) {
        EXPECT_EQ(ListAllPages(keys, prefix, delimiter, max), Model(keys, prefix, delimiter, ""))
            << "prefix=" << prefix << " delimiter=" << delimiter << " max=" << max;
      }
    }
  }
}

TEST(Listing, CommonPrefixSkipsItsKeysWithOneSeek) {
  std::set<std::string> keys;
  for (int d = 0; d < 10; ++d) {
    for (int i = 0; i < 1000; ++i) keys.insert("dir" + std::to_string(d) + "/" + std::to_string(i));
  }
  keys.insert("top");
  MapCursor c(&keys);
  ASSERT_TRUE(c.Seek("").ok());
  int prefixes = 0, entries = 0;
  auto r = ListGrouped(
      c, GroupedListing{"", "/", "", 1000}, [&] { ++entries; },
      [&](const std::string&) { ++prefixes; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(prefixes, 10);
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(c.seeks, 11);
  EXPECT_LE(c.steps, 2);
}

TEST(Listing, LocalStoreMatchesModelOverManyKeys) {
  testing::StoreFixture f;
  auto keys = RandomKeys(1500, 7);
  for (int i = 0; i < 300; ++i) keys.insert("many/" + std::to_string(i));
  for (const auto& k : keys) ASSERT_TRUE(testing::Put(*f.store, "bkt", k, k).ok()) << k;
  for (std::string prefix : {"", "a", "a/", "many/"}) {
    for (std::string delimiter : {"", "/", "a"}) {
      for (int max : {1, 3, 1000}) {
        if (max == 1 && delimiter.empty() && prefix.empty()) continue;  // slow, same as max=3
        std::vector<Item> got;
        std::string after;
        for (;;) {
          ListObjectsRequest req{"bkt", prefix, delimiter, after, max};
          auto page = f.store->ListObjects(req);
          ASSERT_TRUE(page.ok()) << page.status().ToString();
          size_t n = page->objects.size() + page->common_prefixes.size();
          ASSERT_LE(n, static_cast<size_t>(max));
          // Objects and prefixes come in separate lists; merge them in key order.
          std::vector<Item> items;
          for (const auto& o : page->objects) {
            EXPECT_EQ(o.size, o.key.size());
            items.push_back({o.key, false});
          }
          for (const auto& p : page->common_prefixes) items.push_back({p, true});
          std::sort(items.begin(), items.end(),
                    [](const Item& a, const Item& b) { return a.name < b.name; });
          got.insert(got.end(), items.begin(), items.end());
          if (!page->truncated) break;
          ASSERT_EQ(n, static_cast<size_t>(max));
          EXPECT_EQ(page->last, items.back().name);
          after = page->last;
        }
        EXPECT_EQ(got, Model(keys, prefix, delimiter, ""))
            << "prefix=" << prefix << " delimiter=" << delimiter << " max=" << max;
      }
    }
  }
}

}  // namespace
}  // namespace ferry::local
