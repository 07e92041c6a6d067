// Crash safety: a child process writes, overwrites, deletes and multipart-uploads objects in a
// loop from several threads, reporting each acknowledged operation through a pipe; the parent
// kill -9s it at a random moment, reopens the store and checks that every object is exactly
// the last acknowledged version or the one in flight, byte for byte, and that no stray or
// missing blob is left. Repeated several times on the same root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "localstore/local_store.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;

constexpr int kThreads = 4;
constexpr int kKeysPerThread = 5;
constexpr uint64_t kPart = 64 * 1024;

LocalStoreOptions CrashOptions() {
  LocalStoreOptions o;  // fsync on: what is acknowledged must survive
  o.min_part_size = kPart;
  o.pack_size = 1 << 20;  // roll packs over often
  return o;
}

struct Version {
  uint64_t size;
  uint64_t seed;
  bool operator==(const Version&) const = default;
};
using State = std::optional<Version>;  // nullopt: no object

struct Op {
  enum Kind { kPut, kDelete, kMultipart } kind;
  std::string key;
  Version version;
};

Op OpFor(int thread, int round, int i) {
  static constexpr uint64_t kSizes[] = {0, 100, 3000, 9000, 70000, 200000, 1300000};
  Op op;
  op.key = "t" + std::to_string(thread) + "/k" + std::to_string(i % kKeysPerThread);
  op.version.seed = static_cast<uint64_t>(round) * 1000003 + static_cast<uint64_t>(thread) * 7919 +
                    static_cast<uint64_t>(i) + 1;
  op.version.size = kSizes[(i * 7 + thread) % 7];
  op.kind = i % 9 == 8 ? Op::kDelete : i % 13 == 12 ? Op::kMultipart : Op::kPut;
  if (op.kind == Op::kMultipart) op.version.size = 2 * kPart + 1000;
  return op;
}

State Apply(const Op& op) {
  return op.kind == Op::kDelete ? State() : State(op.version);
}

Status Execute(ObjectStore& s, const Op& op) {
  if (op.kind == Op::kDelete) return s.DeleteObject("bkt", op.key);
  std::string body = Bytes(op.version.size, op.version.seed);
  ObjectHeaders headers;
  headers.user_metadata["seed"] = std::to_string(op.version.seed);
  if (op.kind == Op::kPut) {
    PutObjectRequest req{"bkt", op.key, headers};
    return testing::Put(s, "bkt", op.key, body, req).status();
  }
  FERRY_ASSIGN_OR_RETURN(auto up, s.CreateMultipartUpload({"bkt", op.key, headers}));
  std::vector<CompletedPart> parts;
  for (int p = 0; p * kPart < body.size(); ++p) {
    std::string_view piece = std::string_view(body).substr(p * kPart, kPart);
    FERRY_ASSIGN_OR_RETURN(auto w, s.UploadPart({"bkt", op.key, up.upload_id, p + 1}));
    FERRY_RETURN_IF_ERROR(w->Append(std::span<const char>(piece.data(), piece.size())));
    FERRY_ASSIGN_OR_RETURN(auto m, w->Commit());
    parts.push_back({p + 1, m.etag});
  }
  return s.CompleteMultipartUpload({"bkt", op.key, up.upload_id, parts}).status();
}

[[noreturn]] void RunChild(const std::string& root, int round, int ack_fd) {
  auto store = LocalStore::Open(root, SystemClock(), CrashOptions());
  if (!store.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        if (!Execute(**store, OpFor(t, round, i)).ok()) _exit(4);
        std::string ack = std::to_string(t) + " " + std::to_string(i) + "\n";
        if (write(ack_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) _exit(5);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// The object at key as stored, verified to be a whole, self-consistent version.
State Observe(ObjectStore& s, const std::string& key, std::string* error) {
  auto reader = s.OpenObject("bkt", key);
  if (!reader.ok()) {
    if (reader.status().s3_code() != "NoSuchKey") *error = reader.status().ToString();
    return std::nullopt;
  }
  const ObjectMeta& m = (*reader)->meta();
  auto it = m.headers.user_metadata.find("seed");
  if (it == m.headers.user_metadata.end()) {
    *error = key + ": no seed";
    return std::nullopt;
  }
  Version v{m.size, std::stoull(it->second)};
  auto body = testing::ReadAllFrom(**reader, 65536);
  if (!body.ok() || *body != Bytes(v.size, v.seed)) *error = key + ": body differs";
  if (m.parts_count == 0 && m.etag != testing::Md5Hex(*body)) *error = key + ": etag differs";
  return v;
}

TEST(Crash, KillNineAtRandomMomentsLosesNothingAcknowledged) {
  testing::TempDir dir;
  std::string root = dir.path() + "/root";
  {
    auto store = LocalStore::Open(root, SystemClock(), CrashOptions());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateBucket("bkt").ok());
  }
  std::map<std::string, State> model;  // what the store holds after the last check
  std::mt19937 rng(20240501);
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(root, round, fds[1]);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 500));
    kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
    std::string acks;
    char buf[65536];
    for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) acks.append(buf, n);
    close(fds[0]);
    int last[kThreads];
    std::fill(last, last + kThreads, -1);
    for (size_t pos = 0; pos < acks.size();) {
      size_t end = acks.find('\n', pos);
      int t = 0, i = 0;
      ASSERT_EQ(sscanf(acks.c_str() + pos, "%d %d", &t, &i), 2);
      last[t] = i;
      pos = end + 1;
    }

    auto store = LocalStore::Open(root, SystemClock(), CrashOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE((*store)->stats().recovered_unclean);
    int acknowledged = 0;
    for (int t = 0; t < kThreads; ++t) {
      acknowledged += last[t] + 1;
      std::map<std::string, State> expected;
      for (int i = 0; i <= last[t]; ++i) {
        Op op = OpFor(t, round, i);
        expected[op.key] = Apply(op);
      }
      Op in_flight = OpFor(t, round, last[t] + 1);
      for (int k = 0; k < kKeysPerThread; ++k) {
        std::string key = "t" + std::to_string(t) + "/k" + std::to_string(k);
        State want = expected.count(key) ? expected[key] : model[key];
        std::string error;
        State got = Observe(**store, key, &error);
        EXPECT_EQ(error, "") << "round " << round;
        bool ok = got == want || (key == in_flight.key && got == Apply(in_flight));
        EXPECT_TRUE(ok) << "round " << round << " " << key << ": unexpected version";
        model[key] = got;
      }
    }
    std::printf("[ info ] round %d: %d acknowledged operations, %llu stray blobs swept\n", round,
                acknowledged, static_cast<unsigned long long>((*store)->stats().swept_blobs));
    store->reset();
    EXPECT_EQ(testing::BlobInconsistencies(root + "/bkt"), std::vector<std::string>{});
  }
}

TEST(Crash, CleanShutdownNeedsNoSweep) {
  testing::StoreFixture f;
  ASSERT_TRUE(testing::Put(*f.store, "bkt", "k", "v").ok());
  EXPECT_FALSE(f.store->stats().recovered_unclean);
  f.Reopen();
  EXPECT_FALSE(f.store->stats().recovered_unclean);
}

}  // namespace
}  // namespace ferry
