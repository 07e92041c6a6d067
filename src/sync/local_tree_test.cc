#include "sync/local_tree.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace ferry::sync {
namespace {

namespace fs = std::filesystem;

TEST(LocalTree, WalksInS3KeyOrderWithKinds) {
  fs::path root = fs::temp_directory_path() / ("ferry-tree-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "a" / "sub");
  fs::create_directories(root / "empty");
  std::ofstream(root / "a.b") << "x";  // '.' sorts before '/': "a.b" < "a/"
  std::ofstream(root / "a" / "z") << "yy";
  std::ofstream(root / "a" / "sub" / "k") << "";
  fs::create_symlink("a/z", root / "link");
  ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0600), 0);

  std::vector<std::string> names;
  std::vector<EntryKind> kinds;
  PathSelector all;
  Status st = WalkLocalTree(root.string(), all,
                            {[&](const Entry& e) {
                               names.push_back(e.name);
                               kinds.push_back(e.kind);
                               return Status::OK();
                             },
                             [](const std::string&, const Status&) {}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::vector<std::string> want = {"a.b", "a/",     "a/sub/", "a/sub/k",
                                   "a/z", "empty/", "fifo",   "link"};
  EXPECT_EQ(names, want);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(kinds[1], EntryKind::kDirectory);
  EXPECT_EQ(kinds[6], EntryKind::kSpecial);
  EXPECT_EQ(kinds[7], EntryKind::kSymlink);

  EXPECT_EQ(WalkLocalTree((root / "missing").string(), all, {}).code(), Status::Code::kNotFound);
  fs::remove_all(root);
}

}  // namespace
}  // namespace ferry::sync
