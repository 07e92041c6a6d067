#include "transfer/copy_plan.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "transfer/archived_sources.h"
#include "transfer/walk.h"

namespace ferry::transfer {
namespace {

bool Selected(const CopyPlan& plan, std::string_view relative) {
  return !plan.selects || plan.selects(relative);
}

ArchivedSources::Options ArchivedOptions(const CopyPlan& plan, TransferEngine& engine) {
  return {.restore = plan.restore, .progress = plan.restore_progress, .interrupted = [&engine] {
            return engine.Interrupted();
          }};
}

namespace fs = std::filesystem;

std::string BaseName(std::string_view key) {
  while (key.ends_with('/')) key.remove_suffix(1);
  auto slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

// The prefix a recursive S3 source lists: "dir" means the directory "dir/".
std::string DirectoryPrefix(const std::string& key) {
  if (key.empty() || key.ends_with('/')) return key;
  return key + "/";
}

bool IsLocalDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::string LocalTarget(const Location& dst, const std::string& key) {
  if (dst.path.ends_with('/') || IsLocalDirectory(dst.path)) {
    return (fs::path(dst.path) / BaseName(key)).string();
  }
  return dst.path;
}

std::string KeyTarget(const Location& dst, const std::string& name) {
  if (dst.key.empty() || dst.key.ends_with('/')) return dst.key + name;
  return dst.key;
}

Status Upload(const CopyPlan& plan, TransferEngine& engine, Progress& progress) {
  const Location& src = plan.src;
  struct stat st;
  if (::stat(src.path.c_str(), &st) != 0) return Status::FromErrno(src.path, errno);
  auto submit = [&](const std::string& path, const std::string& key, uint64_t size) {
    if (plan.dry_run) {
      plan.dry_run("upload: " + path + " to s3://" + plan.dst.bucket + "/" + key);
      return;
    }
    progress.Plan(1, size);
    engine.Upload({path, plan.dst.bucket, key});
  };
  if (!S_ISDIR(st.st_mode)) {
    submit(src.path, KeyTarget(plan.dst, BaseName(src.path)), static_cast<uint64_t>(st.st_size));
    return Status::OK();
  }
  if (!plan.recursive) {
    return Status::InvalidArgument(src.path + ": is a directory (use --recursive)");
  }
  return WalkLocal(
      src.path,
      [&](const LocalEntry& e) {
        if (engine.Interrupted()) return Status::Cancelled("interrupted");
        if (!Selected(plan, e.relative)) return Status::OK();
        std::error_code ec;
        auto size = fs::file_size(e.path, ec);
        submit(e.path, JoinKey(plan.dst.key, e.relative), ec ? 0 : size);
        return Status::OK();
      },
      [&](const std::string& path, const Status& st) { engine.RecordError(path, st); });
}

Status Download(const CopyPlan& plan, ObjectStore& store, TransferEngine& engine,
                Progress& progress) {
  const Location& src = plan.src;
  auto submit = [&](const std::string& key, const std::string& path, uint64_t size) {
    if (plan.dry_run) {
      plan.dry_run("download: s3://" + src.bucket + "/" + key + " to " + path);
      return;
    }
    progress.Plan(1, size);
    engine.Download({src.bucket, key, path, size});
  };
  ArchivedSources archived(ArchivedOptions(plan, engine));
  if (!plan.recursive) {
    if (src.key.empty() || src.key.ends_with('/')) {
      return Status::InvalidArgument(src.ToString() + ": names a prefix (use --recursive)");
    }
    auto meta = store.HeadObject(src.bucket, src.key);
    if (!meta.ok()) return meta.status();
    auto copy = [=, target = LocalTarget(plan.dst, src.key)] {
      submit(src.key, target, meta->size);
    };
    archived.RunOrHold(!plan.dry_run && !ReadableNow(*meta), src.key, copy);
    return archived.Resolve(store, src.bucket, src.key);
  }
  std::string prefix = DirectoryPrefix(src.key);
  FERRY_RETURN_IF_ERROR(WalkBucket(store, src.bucket, prefix, [&](const ObjectMeta& object) {
    if (engine.Interrupted()) return Status::Cancelled("interrupted");
    std::string relative = object.key.substr(prefix.size());
    if (relative.empty() || !Selected(plan, relative)) return Status::OK();
    if (EscapesRoot(relative)) {
      engine.RecordError("s3://" + src.bucket + "/" + object.key,
                         Status::InvalidArgument("key would be written outside " + plan.dst.path));
      return Status::OK();
    }
    auto copy = [=, target = (fs::path(plan.dst.path) / relative).string()] {
      submit(object.key, target, object.size);
    };
    archived.RunOrHold(!plan.dry_run && MayNeedRestore(object), object.key, copy);
    return Status::OK();
  }));
  return archived.Resolve(store, src.bucket, prefix);
}

Status ServerSideCopy(const CopyPlan& plan, ObjectStore& store, TransferEngine& engine,
                      Progress& progress) {
  const Location& src = plan.src;
  auto submit = [&](const std::string& key, const std::string& dst_key, uint64_t size) {
    if (plan.dry_run) {
      plan.dry_run("copy: s3://" + src.bucket + "/" + key + " to s3://" + plan.dst.bucket + "/" +
                   dst_key);
      return;
    }
    progress.Plan(1, size);
    engine.Copy({src.bucket, key, plan.dst.bucket, dst_key});
  };
  ArchivedSources archived(ArchivedOptions(plan, engine));
  if (!plan.recursive) {
    auto meta = store.HeadObject(src.bucket, src.key);
    if (!meta.ok()) return meta.status();
    auto copy = [=, target = KeyTarget(plan.dst, BaseName(src.key))] {
      submit(src.key, target, meta->size);
    };
    archived.RunOrHold(!plan.dry_run && !ReadableNow(*meta), src.key, copy);
    return archived.Resolve(store, src.bucket, src.key);
  }
  std::string prefix = DirectoryPrefix(src.key);
  FERRY_RETURN_IF_ERROR(WalkBucket(store, src.bucket, prefix, [&](const ObjectMeta& object) {
    if (engine.Interrupted()) return Status::Cancelled("interrupted");
    std::string relative = object.key.substr(prefix.size());
    if (relative.empty() || !Selected(plan, relative)) return Status::OK();
    auto copy = [=, target = JoinKey(plan.dst.key, relative)] {
      submit(object.key, target, object.size);
    };
    archived.RunOrHold(!plan.dry_run && MayNeedRestore(object), object.key, copy);
    return Status::OK();
  }));
  return archived.Resolve(store, src.bucket, prefix);
}

}  // namespace

Status SubmitCopy(const CopyPlan& plan, ObjectStore& store, TransferEngine& engine,
                  Progress& progress) {
  Status st;
  if (plan.dst.is_s3 && !plan.dry_run) {
    // One clear error instead of one per file when the destination bucket is missing.
    auto bucket = store.HeadBucket(plan.dst.bucket);
    if (!bucket.ok()) {
      progress.PlanningDone();
      return bucket.status();
    }
  }
  if (!plan.src.is_s3 && plan.dst.is_s3) {
    st = Upload(plan, engine, progress);
  } else if (plan.src.is_s3 && !plan.dst.is_s3) {
    st = Download(plan, store, engine, progress);
  } else if (plan.src.is_s3 && plan.dst.is_s3) {
    st = ServerSideCopy(plan, store, engine, progress);
  } else {
    st = Status::InvalidArgument("one of SRC and DST must be an s3:// URL");
  }
  progress.PlanningDone();
  return st;
}

}  // namespace ferry::transfer
