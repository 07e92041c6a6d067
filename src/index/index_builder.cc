#include "index/index_builder.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/thread_pool.h"

namespace ferry::index {
namespace {

// Reads the metadata of the entries marked, many HEADs at once, and writes every entry that
// still exists in order.
class EntryWriter {
 public:
  EntryWriter(ObjectStore& store, std::string bucket, const BuildOptions& options,
              IndexWriter& writer, BuildResult& result)
      : store_(store),
        bucket_(std::move(bucket)),
        options_(options),
        writer_(writer),
        result_(result),
        pool_(static_cast<size_t>(std::max(1, options.concurrency))) {}

  // entries in key order; need_head[i]: read entry i's metadata (and current size and ETag).
  Status Write(std::vector<IndexEntry> entries, const std::vector<bool>& need_head) {
    std::vector<Status> failures(entries.size());
    std::vector<char> vanished(entries.size(), 0);  // not vector<bool>: written concurrently
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!need_head[i]) continue;
      ++result_.heads;
      pool_.Submit([&, i] {
        auto meta = store_.HeadObject(bucket_, entries[i].key);
        if (meta.ok()) {
          entries[i] = EntryOf(*meta, true);
        } else if (meta.status().IsNotFound()) {  // NoSuchKey: deleted since it was listed
          vanished[i] = 1;
        } else {
          failures[i] = meta.status().Annotate("s3://" + bucket_ + "/" + entries[i].key);
        }
      });
    }
    pool_.WaitIdle();
    for (size_t i = 0; i < entries.size(); ++i) {
      FERRY_RETURN_IF_ERROR(failures[i]);
      if (vanished[i]) {
        ++result_.vanished;
        continue;
      }
      FERRY_RETURN_IF_ERROR(writer_.Add(std::move(entries[i])));
    }
    if (options_.progress) options_.progress(writer_.entries(), result_.heads);
    return Status::OK();
  }

 private:
  ObjectStore& store_;
  const std::string bucket_;
  const BuildOptions& options_;
  IndexWriter& writer_;
  BuildResult& result_;
  ThreadPool pool_;
};

IndexInfo InfoFor(ObjectStore& store, const std::string& bucket, const std::string& prefix) {
  IndexInfo info;
  info.bucket = bucket;
  info.prefix = prefix;
  info.endpoint = store.Info().endpoint_id;
  info.built_at_ns = SystemClock().NowNanos();
  return info;
}

// Lists the prefix and hands each page's objects to take.
Status ListAll(ObjectStore& store, const std::string& bucket, const std::string& prefix,
               const std::string& exclude_key,
               const std::function<Status(std::vector<IndexEntry>)>& take) {
  ListObjectsRequest req;
  req.bucket = bucket;
  req.prefix = prefix;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(auto page, store.ListObjects(req));
    std::vector<IndexEntry> entries;
    entries.reserve(page.objects.size());
    for (const auto& o : page.objects) {
      if (o.key != exclude_key) entries.push_back(EntryOf(o, false));
    }
    FERRY_RETURN_IF_ERROR(take(std::move(entries)));
    if (!page.truncated || page.last.empty()) return Status::OK();
    req.start_after = page.last;
  }
}

}  // namespace

Result<BuildResult> BuildIndex(ObjectStore& store, const std::string& bucket,
                               const std::string& prefix, const BuildOptions& options,
                               IndexWriter::Sink sink) {
  BuildResult result;
  const IndexInfo info = InfoFor(store, bucket, prefix);
  IndexWriter writer(info, std::move(sink));
  EntryWriter out(store, bucket, options, writer, result);
  FERRY_RETURN_IF_ERROR(
      ListAll(store, bucket, prefix, options.exclude_key, [&](std::vector<IndexEntry> entries) {
        std::vector<bool> need(entries.size(), options.read_metadata);
        return out.Write(std::move(entries), need);
      }));
  FERRY_RETURN_IF_ERROR(writer.Finish());
  result.info = info;
  result.info.entries = writer.entries();
  return result;
}

Result<BuildResult> UpdateIndex(ObjectStore& store, IndexReader& old, const BuildOptions& options,
                                IndexWriter::Sink sink) {
  const IndexInfo& was = old.info();
  BuildResult result;
  IndexInfo info = InfoFor(store, was.bucket, was.prefix);
  IndexWriter writer(info, std::move(sink));
  EntryWriter out(store, was.bucket, options, writer, result);
  IndexReader::Iterator it(old);
  FERRY_RETURN_IF_ERROR(it.Seek(""));
  FERRY_RETURN_IF_ERROR(ListAll(
      store, was.bucket, was.prefix, options.exclude_key, [&](std::vector<IndexEntry> entries) {
        std::vector<bool> need(entries.size(), options.read_metadata);
        for (size_t i = 0; i < entries.size(); ++i) {
          IndexEntry& e = entries[i];
          while (it.Valid() && it.entry().key < e.key) {
            ++result.removed;
            FERRY_RETURN_IF_ERROR(it.Next());
          }
          if (!it.Valid() || it.entry().key != e.key) continue;
          const IndexEntry& before = it.entry();
          if (before.etag == e.etag && before.size == e.size && before.metadata_known) {
            e.metadata_known = true;
            e.posix = before.posix;
            need[i] = false;
            ++result.reused;
          }
          FERRY_RETURN_IF_ERROR(it.Next());
        }
        return out.Write(std::move(entries), need);
      }));
  for (; it.Valid(); ++result.removed) FERRY_RETURN_IF_ERROR(it.Next());
  FERRY_RETURN_IF_ERROR(writer.Finish());
  result.info = info;
  result.info.entries = writer.entries();
  return result;
}

Result<BuildResult> UpdateIndexFromReport(ObjectStore& store, IndexReader& old,
                                          std::string_view report_json, const BuildOptions& options,
                                          IndexWriter::Sink sink) {
  const IndexInfo& was = old.info();
  auto report = nlohmann::json::parse(report_json, nullptr, false);
  if (report.is_discarded() || !report.is_object() || !report.contains("summary") ||
      !report.contains("entries") || !report["entries"].is_array()) {
    return Status::InvalidArgument("not a task report of `ferry sync --report`");
  }
  const std::string destination = report["summary"].value("destination", "");
  const std::string root = "s3://" + was.bucket + "/";
  if (!destination.starts_with(root) || !destination.substr(root.size()).starts_with(was.prefix)) {
    return Status::InvalidArgument(
        "the report's sync wrote to " +
        (destination.empty() ? std::string("nowhere named") : destination) +
        ", not under the index's s3://" + was.bucket + "/" + was.prefix);
  }
  std::string key_prefix = destination.substr(root.size());
  // Key → true: written (HEAD it), false: deleted.
  std::map<std::string, bool> changed;
  for (const auto& e : report["entries"]) {
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string()) continue;
    const std::string status = e.value("status", "");
    std::string key = key_prefix + e["path"].get<std::string>();
    if (status == "transferred" || status == "updated") {
      changed[key] = true;
    } else if (status == "deleted") {
      changed[key] = false;
    }
  }
  BuildResult result;
  IndexInfo info = was;
  info.endpoint = store.Info().endpoint_id;
  IndexWriter writer(info, std::move(sink));
  EntryWriter out(store, was.bucket, options, writer, result);
  IndexReader::Iterator it(old);
  FERRY_RETURN_IF_ERROR(it.Seek(""));
  auto next_change = changed.begin();
  std::vector<IndexEntry> batch;
  std::vector<bool> need;
  auto flush = [&]() -> Status {
    Status s = out.Write(std::move(batch), need);
    batch.clear();
    need.clear();
    return s;
  };
  while (it.Valid() || next_change != changed.end()) {
    bool take_change =
        next_change != changed.end() && (!it.Valid() || next_change->first <= it.entry().key);
    if (take_change) {
      if (it.Valid() && it.entry().key == next_change->first) {
        if (!next_change->second) ++result.removed;
        FERRY_RETURN_IF_ERROR(it.Next());
      }
      if (next_change->second) {
        IndexEntry e;
        e.key = next_change->first;
        batch.push_back(std::move(e));
        need.push_back(true);
      }
      ++next_change;
    } else {
      batch.push_back(it.entry());
      need.push_back(false);
      ++result.reused;
      FERRY_RETURN_IF_ERROR(it.Next());
    }
    if (batch.size() >= 1000) FERRY_RETURN_IF_ERROR(flush());
  }
  FERRY_RETURN_IF_ERROR(flush());
  FERRY_RETURN_IF_ERROR(writer.Finish());
  result.info = info;
  result.info.entries = writer.entries();
  return result;
}

}  // namespace ferry::index
