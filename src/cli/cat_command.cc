// `ferry cat s3://bucket/key [--range A-B]`: stream an object (or a byte range) to stdout.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

constexpr size_t kChunkBytes = 8 << 20;

struct CatOptions {
  ClientFlags client;
  std::string url;
  std::string range;
};

// "A-B" (inclusive), "A-" or "-N" (the last N bytes) → [start, end) within size.
Result<std::pair<uint64_t, uint64_t>> ParseRangeFlag(const std::string& text, uint64_t size) {
  auto dash = text.find('-');
  if (dash == std::string::npos) return Status::InvalidArgument("--range wants A-B, A- or -N");
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  };
  std::string_view a = std::string_view(text).substr(0, dash);
  std::string_view b = std::string_view(text).substr(dash + 1);
  if (a.empty()) {
    auto n = number(b);
    if (!n) return Status::InvalidArgument("--range: bad suffix length");
    return std::pair{size - std::min(*n, size), size};
  }
  auto start = number(a);
  if (!start) return Status::InvalidArgument("--range: bad start");
  uint64_t end = size;
  if (!b.empty()) {
    auto last = number(b);
    if (!last || *last < *start) return Status::InvalidArgument("--range: bad end");
    end = std::min(size, *last + 1);
  }
  if (*start >= size && size > 0) return Status::InvalidArgument("--range starts past the end");
  return std::pair{std::min(*start, size), end};
}

Status WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("stdout", errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

}  // namespace

CommandRunner AddCatCommand(CLI::App& app) {
  auto o = std::make_shared<CatOptions>();
  CLI::App* cmd = app.add_subcommand("cat", "Write an object (or a byte range of it) to stdout");
  cmd->add_option("URL", o->url, "s3://bucket/key")->required();
  cmd->add_option("--range", o->range, "Bytes A-B (inclusive), A- or -N (last N)");
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto loc = transfer::ParseLocation(o->url);
    if (!loc.ok() || !loc->is_s3 || loc->key.empty()) {
      return Fail("cat", Status::InvalidArgument(o->url + ": expected s3://BUCKET/KEY"), true);
    }
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("cat", store.status(), /*usage=*/true);
    auto reader = (*store)->OpenObject(loc->bucket, loc->key);
    if (!reader.ok()) return Fail("cat", reader.status());
    uint64_t size = (*reader)->meta().size;
    uint64_t start = 0, end = size;
    if (!o->range.empty()) {
      auto range = ParseRangeFlag(o->range, size);
      if (!range.ok()) return Fail("cat", range.status(), true);
      std::tie(start, end) = *range;
    }
    std::vector<char> buf(std::min<uint64_t>(std::max<uint64_t>(end - start, 1), kChunkBytes));
    while (start < end) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(end - start, buf.size()));
      auto n = (*reader)->ReadAt(start, std::span<char>(buf.data(), want));
      if (!n.ok()) return Fail("cat", n.status());
      if (*n == 0) return Fail("cat", Status::IOError(loc->ToString() + ": object ended early"));
      Status st = WriteAll(STDOUT_FILENO, buf.data(), *n);
      if (!st.ok()) return Fail("cat", st);
      start += *n;
    }
    return kExitOk;
  };
}

}  // namespace ferry::cli
