#include "sync/syncer.h"

#include "sync/delete_paths.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/checksum.h"
#include "core/thread_pool.h"
#include "s3/restore.h"
#include "sync/bucket_tree.h"
#include "sync/content_checksum.h"
#include "sync/entry_stream.h"
#include "sync/local_attrs.h"
#include "sync/local_tree.h"
#include "sync/report.h"
#include "sync/state_db.h"
#include "sync/syncer_run.h"

namespace ferry::sync {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

std::unique_ptr<EntryStream> Syncer::Stream(const SyncLocation& l, bool is_source) {
  auto on_error = [this, is_source, &l](const std::string& name, const Status& st) {
    if (!is_source && st.code() == Status::Code::kNotFound) return;
    ++walk_errors_;
    Fail(name, Where(l, name), st);
  };
  if (l.is_s3) {
    return std::make_unique<EntryStream>([this, &l](const EntryStream::Emit& emit) {
      return WalkBucketTree(StoreOf(l), l.bucket, l.prefix, options_.selector, emit,
                            [&](const std::string& key) {
                              report_.Record(key, "skipped", "key is not a usable path");
                            });
    });
  }
  return std::make_unique<EntryStream>([this, &l, on_error](const EntryStream::Emit& emit) {
    return WalkLocalTree(l.root, options_.selector, {emit, on_error});
  });
}

void Syncer::Merge(EntryStream& a, EntryStream& b, const std::function<void(PathPair)>& fn,
                   bool stop_when_interrupted) {
  std::optional<Entry> x = a.Next(), y = b.Next();
  while (x || y) {
    if (stop_when_interrupted && Interrupted()) return;
    PathPair p;
    if (x && (!y || x->name < y->name)) {
      p.src = std::move(x);
      x = a.Next();
    } else if (y && (!x || y->name < x->name)) {
      p.dst = std::move(y);
      y = b.Next();
    } else {
      p.src = std::move(x);
      p.dst = std::move(y);
      x = a.Next();
      y = b.Next();
    }
    fn(std::move(p));
  }
}

void Syncer::FromState(const SyncLocation& l, Entry& e) {
  if (state_ && l.is_s3 && !e.has_attrs)
    state_->LookupObject(StateLocation(l), l.prefix + e.name, e);
}

void Syncer::FromStateInOrder(const SyncLocation& l, std::optional<StateDb::OrderedLookup>& lookup,
                              Entry& e) {
  if (!state_ || !l.is_s3 || e.has_attrs) return;
  if (!lookup) lookup.emplace(*state_, StateLocation(l));
  lookup->Lookup(l.prefix + e.name, e);
}

Status Syncer::FillDetails(const SyncLocation& l, Entry& e, bool attrs, bool checksum,
                           const Entry* other) {
  if (l.is_s3) {
    if (!attrs && !(checksum && !e.checksum)) return Status::OK();
    FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, StoreOf(l).HeadObject(l.bucket, l.prefix + e.name));
    if (meta.etag != e.etag) e.last_modified_ns = meta.last_modified_ns;
    e.size = meta.size;
    ApplyObjectMeta(meta, e);
    if (state_) state_->RecordObject(StateLocation(l), l.prefix + e.name, e);
    return Status::OK();
  }
  if (!checksum || e.checksum || e.kind != EntryKind::kFile) return Status::OK();
  const std::string path = l.LocalPath(e.name);
  if (other && !other->checksum && !other->content_md5.empty()) {
    // The object has no additional checksum, only its MD5 ETag: compare MD5s.
    FERRY_ASSIGN_OR_RETURN(e.content_md5,
                           CachedFileDigest(e, "MD5", [&] { return LocalFileMd5(path); }));
    return Status::OK();
  }
  const ChecksumAlgorithm algorithm = options_.transfer.checksum;
  FERRY_ASSIGN_OR_RETURN(std::string value,
                         CachedFileDigest(e, ChecksumAlgorithmName(algorithm),
                                          [&] { return LocalFileChecksum(path, algorithm); }));
  e.checksum = ObjectChecksum{algorithm, std::move(value)};
  return Status::OK();
}

Result<std::string> Syncer::CachedFileDigest(const Entry& file, std::string_view name,
                                             const std::function<Result<std::string>()>& compute) {
  if (state_) {
    if (auto cached = state_->LookupFileChecksum(file, name)) return *cached;
  }
  FERRY_ASSIGN_OR_RETURN(std::string value, compute());
  if (state_) state_->RecordFileChecksum(file, name, value);
  return value;
}

void Syncer::Handle(PathPair pair) {
  if (pair.src) {
    FromStateInOrder(src_, src_in_order_, *pair.src);
    std::lock_guard lock(mu_);
    ++result_.source_entries;
  }
  if (pair.dst) FromStateInOrder(dst_, dst_in_order_, *pair.dst);
  Details need = NeedsDetails(pair.src ? &*pair.src : nullptr, pair.dst ? &*pair.dst : nullptr,
                              options_.compare);
  if (!need.any()) {
    return Act(pair, Decide(pair.src ? &*pair.src : nullptr, pair.dst ? &*pair.dst : nullptr,
                            options_.compare));
  }
  workers_.WaitForRoom(2 * workers_.size());
  workers_.Submit([this, pair = std::move(pair), need]() mutable {
    // Objects first: what they carry decides which checksum a local file needs.
    const bool src_first = src_.is_s3;
    for (int i = 0; i < 2; ++i) {
      const bool is_src = (i == 0) == src_first;
      const SyncLocation& side = is_src ? src_ : dst_;
      Entry& e = is_src ? *pair.src : *pair.dst;
      Status st = FillDetails(side, e, is_src ? need.src_attrs : need.dst_attrs,
                              is_src ? need.src_checksum : need.dst_checksum,
                              is_src ? &*pair.dst : &*pair.src);
      if (!st.ok()) return Fail(pair.name(), Where(side, pair.name()), st);
    }
    Act(pair, Decide(&*pair.src, &*pair.dst, options_.compare));
  });
}

void Syncer::Act(const PathPair& pair, const Decision& d) {
  switch (d.action) {
    case Action::kSkip: {
      progress_.ObjectSkipped();
      report_.Record(pair.name(), "skipped", d.reason);
      std::lock_guard lock(mu_);
      ++(pair.src && pair.src->kind == EntryKind::kSpecial ? result_.special_skipped
                                                           : result_.skipped);
      return;
    }
    case Action::kDelete: {
      std::lock_guard lock(mu_);
      if (!options_.delete_extra) {
        ++result_.extra;
        return;
      }
      deletions_.push_back(pair.name());
      return;
    }
    case Action::kCopy:
      if (options_.dry_run) {
        report_.Record(pair.name(), "would transfer", d.reason, pair.src->size);
        if (options_.on_planned) options_.on_planned("copy", Where(src_, pair.name()));
        std::lock_guard lock(mu_);
        ++result_.transferred;
        result_.bytes += pair.src->size;
        return;
      }
      return Copy(pair, d.reason);
    case Action::kUpdateMetadata:
      if (options_.dry_run) {
        report_.Record(pair.name(), "would update", d.reason);
        if (options_.on_planned) options_.on_planned("update", Where(dst_, pair.name()));
        std::lock_guard lock(mu_);
        ++result_.updated;
        return;
      }
      return UpdateMetadata(pair, d.reason);
  }
}

void Syncer::Copy(const PathPair& pair, const std::string& reason) {
  if (src_.is_s3 && s3::IsArchivedStorageClass(pair.src->storage_class) && !options_.dry_run) {
    std::lock_guard lock(mu_);
    archived_.Add(src_.prefix + pair.src->name, [this, pair, reason] { StartCopy(pair, reason); });
    return;
  }
  StartCopy(pair, reason);
}

void Syncer::StartCopy(const PathPair& pair, const std::string& reason) {
  const Entry& s = *pair.src;
  progress_.Plan(1, s.size);
  auto done = [this, pair, reason](const transfer::JobOutcome& out) {
    OnCopied(pair, reason, out);
  };
  if (!src_.is_s3) {
    transfer::UploadJob job{src_.LocalPath(s.name), dst_.bucket, dst_.prefix + s.name, true, done};
    // Replace only the object that was compared: one changed meanwhile by someone else is
    // reported, not overwritten.
    if (pair.dst && pair.dst->kind == s.kind) job.replace_etag = pair.dst->etag;
    engine_.Upload(std::move(job));
  } else if (!dst_.is_s3) {
    const std::string path = dst_.LocalPath(s.name);
    if (pair.dst && pair.dst->kind != s.kind) {
      // A file where a directory goes, or the reverse: make way first (a directory only
      // when empty; its contents are synced or deleted on their own).
      if (::unlink(path.c_str()) != 0 && ::rmdir(path.c_str()) != 0 && errno != ENOENT) {
        return Fail(s.name, path, Status::FromErrno(path, errno));
      }
    }
    engine_.Download({src_.bucket, src_.prefix + s.name, path,
                      s.kind == EntryKind::kFile ? std::optional<uint64_t>(s.size) : std::nullopt,
                      done});
  } else {
    engine_.Copy({src_.bucket, src_.prefix + s.name, dst_.bucket, dst_.prefix + s.name,
                  std::nullopt, &src_store_ == &dst_store_ ? nullptr : &src_store_, done});
  }
}

void Syncer::OnCopied(const PathPair& pair, const std::string& reason,
                      const transfer::JobOutcome& out) {
  const std::string& name = pair.name();
  if (!out.status.ok()) {
    // The engine counts the failure in its own summary; the run's result is told here.
    const bool interrupted = out.status.code() == Status::Code::kCancelled && Interrupted();
    report_.Record(name, interrupted ? "interrupted" : "failed", out.status.ToString());
    std::lock_guard lock(mu_);
    ++(interrupted ? result_.interrupted_transfers : result_.failed);
    return;
  }
  report_.Record(name, "transferred", reason, out.bytes);
  if (state_) {
    // What the listing will show next time, with what it will not.
    const SyncLocation& object_side = dst_.is_s3 ? dst_ : src_;
    Entry e;
    e.name = name;
    e.size = out.object.size;
    e.etag = out.object.etag;
    e.last_modified_ns = dst_.is_s3 ? 0 : out.object.last_modified_ns;
    e.attrs = out.attrs;
    e.has_attrs = true;
    e.checksum = out.object.checksum;
    bool attrs_known = dst_.is_s3 ? !src_.is_s3 : true;
    if (attrs_known && !e.etag.empty()) {
      state_->RecordObject(StateLocation(object_side), object_side.prefix + name, e);
    }
  }
  std::lock_guard lock(mu_);
  ++result_.transferred;
  result_.bytes += out.bytes;
  result_.resumed_bytes += out.resumed_bytes;
  if (options_.verify == VerifyMode::kTransferred && pair.src->kind != EntryKind::kDirectory) {
    to_verify_.push_back(*pair.src);
  }
}

void Syncer::UpdateMetadata(const PathPair& pair, const std::string& reason) {
  workers_.WaitForRoom(2 * workers_.size());
  workers_.Submit([this, pair, reason] {
    const Entry& s = *pair.src;
    const std::string where = Where(dst_, s.name);
    Status st;
    if (dst_.is_s3) {
      auto meta = dst_store_.HeadObject(dst_.bucket, dst_.prefix + s.name);
      if (!meta.ok()) return Fail(s.name, where, meta.status());
      ObjectHeaders headers = meta->headers;
      s3::PosixAttributes attrs = s.attrs;
      if (!options_.compare.preserve.owner) attrs.uid = attrs.gid = std::nullopt;
      s3::EncodePosixAttributes(attrs, headers.user_metadata);
      CopyObjectRequest req;
      req.src_bucket = req.dst_bucket = dst_.bucket;
      req.src_key = req.dst_key = dst_.prefix + s.name;
      req.replace_metadata = true;
      req.headers = std::move(headers);
      req.if_match = meta->etag;  // never stamp attributes onto data we did not compare
      auto copied = dst_store_.CopyObject(req);
      if (!copied.ok()) return Fail(s.name, where, copied.status());
      if (state_) {
        Entry e = s;
        e.etag = copied->etag;
        e.size = copied->size;
        e.last_modified_ns = 0;
        e.checksum = copied->checksum;
        state_->RecordObject(StateLocation(dst_), dst_.prefix + s.name, e);
      }
    } else {
      st = ApplyLocalAttributes(dst_.LocalPath(s.name), s.kind, s.attrs, options_.compare.preserve);
      if (!st.ok()) return Fail(s.name, where, st);
    }
    report_.Record(s.name, "updated", reason);
    std::lock_guard lock(mu_);
    ++result_.updated;
  });
}

void Syncer::Fail(const std::string& name, const std::string& what, const Status& st) {
  progress_.ObjectFailed();
  report_.Record(name, "failed", st.ToString());
  std::lock_guard lock(mu_);
  ++result_.failed;
  if (result_.errors.size() < SyncResult::kMaxErrors) result_.errors.push_back({what, st});
}

void Syncer::DeleteExtras() {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    names.swap(deletions_);
  }
  if (names.empty()) return;
  std::string refusal = DeletionRefusal(options_.deletion_limits, result_.source_entries,
                                        names.size(), src_.Describe(), dst_.Describe());
  if (!refusal.empty()) {
    for (const auto& n : names) report_.Record(n, "kept", refusal);
    std::lock_guard lock(mu_);
    result_.deletions_withheld = true;
    result_.deletions_refused = std::move(refusal);
    return;
  }
  if (options_.dry_run) {
    for (const auto& n : names) {
      report_.Record(n, "would delete", "not in the source");
      if (options_.on_planned) options_.on_planned("delete", Where(dst_, n));
    }
    std::lock_guard lock(mu_);
    result_.deleted += names.size();
    return;
  }
  if (result_.failed > 0 || walk_errors_ > 0) {
    for (const auto& n : names)
      report_.Record(n, "kept", "deletions withheld: the run had failures");
    std::lock_guard lock(mu_);
    result_.deletions_withheld = true;
    return;
  }
  DeletePaths(dst_store_, dst_, names, [this](const std::string& name, const Status& st) {
    if (!st.ok()) return Fail(name, Where(dst_, name), st);
    report_.Record(name, "deleted", "not in the source");
    std::lock_guard lock(mu_);
    ++result_.deleted;
  });
}

Result<SyncResult> Syncer::Run() {
  const auto start = std::chrono::steady_clock::now();
  progress_.SetPhase("preparing + transferring");
  {
    auto a = Stream(src_, true);
    auto b = Stream(dst_, false);
    Merge(
        *a, *b, [this](PathPair p) { Handle(std::move(p)); }, /*stop_when_interrupted=*/true);
    Status src_status = a->status();
    Status dst_status = b->status();
    if (!src_status.ok()) return src_status.Annotate("reading " + src_.Describe());
    if (!dst_status.ok() && dst_status.code() != Status::Code::kNotFound) {
      return dst_status.Annotate("reading " + dst_.Describe());
    }
  }
  workers_.WaitIdle();  // every decision made
  if (Status held = archived_.Resolve(src_store_, src_.bucket, src_.prefix); !held.ok()) {
    std::lock_guard lock(mu_);
    result_.failed += std::max<size_t>(1, archived_.unresolved());
    if (result_.errors.size() < SyncResult::kMaxErrors) {
      result_.errors.push_back({src_.Describe(), held});
    }
  }
  progress_.PlanningDone();
  progress_.SetPhase("transferring");
  result_.phases.preparing = SecondsSince(start);
  transfer::TransferSummary summary = engine_.Finish();
  result_.interrupted = Interrupted();
  if (result_.interrupted) {
    std::lock_guard lock(mu_);
    if (!deletions_.empty()) {
      for (const auto& n : deletions_) report_.Record(n, "kept", "interrupted");
      result_.deletions_withheld = true;
      result_.deletions_refused = "interrupted: nothing was deleted";
      deletions_.clear();
    }
  }
  DeleteExtras();
  result_.phases.transferring = SecondsSince(start) - result_.phases.preparing;
  for (const auto& e : summary.errors) {
    if (result_.errors.size() < SyncResult::kMaxErrors) result_.errors.push_back(e);
  }
  if (options_.verify != VerifyMode::kNone && !options_.dry_run && !result_.interrupted) {
    const auto verify_start = std::chrono::steady_clock::now();
    progress_.SetPhase("verifying");
    Verify();
    result_.phases.verifying = SecondsSince(verify_start);
  }
  if (state_) {
    Status st = state_->Flush();
    if (!st.ok()) result_.errors.push_back({"state database", st});
  }
  nlohmann::json summary_json = ResultJson(result_);
  summary_json["source"] = src_.Describe();
  summary_json["destination"] = dst_.Describe();
  summary_json["dry_run"] = options_.dry_run;
  summary_json["interrupted"] = result_.interrupted;
  Status written = report_.Finish(summary_json);
  if (!written.ok()) result_.errors.push_back({options_.report_path, written});
  return result_;
}

std::string SyncLocation::LocalPath(const std::string& name) const {
  std::string p = root + "/" + name;
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string SyncLocation::Describe() const {
  return is_s3 ? "s3://" + bucket + "/" + prefix : root;
}

Result<SyncResult> RunSync(ObjectStore& src_store, ObjectStore& dst_store, const SyncLocation& src,
                           const SyncLocation& dst, const SyncOptions& options,
                           transfer::Progress& progress) {
  if (src.is_s3 && dst.is_s3 && &src_store == &dst_store && src.bucket == dst.bucket &&
      (src.prefix.starts_with(dst.prefix) || dst.prefix.starts_with(src.prefix))) {
    return Status::InvalidArgument("source and destination overlap: " + src.Describe() + " and " +
                                   dst.Describe());
  }
  if (!src.is_s3 && !dst.is_s3) {
    return Status::InvalidArgument("one side of a sync must be s3://");
  }
  if (src.is_s3) {
    FERRY_RETURN_IF_ERROR(src_store.HeadBucket(src.bucket).status());
  }
  if (dst.is_s3) {
    FERRY_RETURN_IF_ERROR(dst_store.HeadBucket(dst.bucket).status());
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dst.root, ec);
    if (ec) return Status::IOError(dst.root + ": " + ec.message());
    if (::access(dst.root.c_str(), W_OK) != 0) return Status::FromErrno(dst.root, errno);
  }
  std::unique_ptr<StateDb> state;
  if (!options.state_dir.empty()) {
    FERRY_ASSIGN_OR_RETURN(state, StateDb::Open(options.state_dir));
  }
  Syncer syncer(src_store, dst_store, src, dst, options, progress, std::move(state));
  return syncer.Run();
}

}  // namespace ferry::sync
