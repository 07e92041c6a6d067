#include "sync/compare.h"

#include <sys/stat.h>

namespace ferry::sync {
namespace {

// The file's time as the comparison sees it: its stored mtime, or else (an object written
// by a tool that keeps none) its Last-Modified.
std::optional<int64_t> EffectiveMtime(const Entry& e) {
  if (e.attrs.mtime_ns) return e.attrs.mtime_ns;
  if (e.last_modified_ns > 0) return e.last_modified_ns;
  return std::nullopt;
}

bool HasStoredMtime(const Entry& e) {
  return e.has_attrs && e.attrs.mtime_ns.has_value();
}

// Attributes that differ between the two, "" when none do. Attributes the destination does
// not record are not a difference unless the source has them.
std::string AttributeDifference(const Entry& src, const Entry& dst, const Preserve& p,
                                bool compare_times) {
  auto perm = [](const std::optional<uint32_t>& m) {
    return m ? std::optional<uint32_t>(*m & 07777) : std::nullopt;
  };
  if (p.mode && src.attrs.mode && perm(src.attrs.mode) != perm(dst.attrs.mode)) return "mode";
  if (p.owner && src.attrs.uid && src.attrs.uid != dst.attrs.uid) return "owner";
  if (p.owner && src.attrs.gid && src.attrs.gid != dst.attrs.gid) return "group";
  if (compare_times && p.times && src.attrs.mtime_ns &&
      (!dst.attrs.mtime_ns || !SameTime(*src.attrs.mtime_ns, *dst.attrs.mtime_ns))) {
    return "mtime";
  }
  return "";
}

bool ChecksumsComparable(const Entry& a, const Entry& b) {
  return a.checksum && b.checksum && !a.checksum->composite && !b.checksum->composite &&
         a.checksum->algorithm == b.checksum->algorithm && !a.checksum->value.empty();
}

Decision Copy(std::string reason) {
  return {Action::kCopy, std::move(reason)};
}
Decision Skip(std::string reason) {
  return {Action::kSkip, std::move(reason)};
}

}  // namespace

bool SameTime(int64_t a, int64_t b) {
  if (a == b) return true;
  for (int64_t unit : {int64_t{1'000'000'000}, int64_t{1'000'000}}) {
    if (a % unit == 0 || b % unit == 0) return a / unit == b / unit;
  }
  return false;
}

Details NeedsDetails(const Entry* src, const Entry* dst, const CompareOptions& options) {
  Details d;
  if (!src || !dst) return d;
  if (src->kind == EntryKind::kSpecial) return d;
  if (options.mode == CompareMode::kAll || options.no_overwrite) return d;
  if (src->kind != dst->kind) {
    // A listing shows a symbolic link's object as a file: only its metadata tells.
    d.src_attrs = !src->has_attrs && src->kind == EntryKind::kFile;
    d.dst_attrs = !dst->has_attrs && dst->kind == EntryKind::kFile;
    return d;
  }
  // A file whose size differs is copied whatever else is true; for everything else the
  // attributes (and, in checksum mode, the contents) decide.
  if (src->kind == EntryKind::kFile && dst->kind == EntryKind::kFile && src->size != dst->size) {
    return d;
  }
  d.src_attrs = !src->has_attrs;
  d.dst_attrs = !dst->has_attrs;
  if (options.mode == CompareMode::kChecksum && src->kind == EntryKind::kFile &&
      dst->kind == EntryKind::kFile) {
    d.src_checksum = !src->checksum;
    d.dst_checksum = !dst->checksum;
  }
  return d;
}

Decision Decide(const Entry* src, const Entry* dst, const CompareOptions& options) {
  if (!src) return {Action::kDelete, "not in the source"};
  if (src->kind == EntryKind::kSpecial) return Skip("special file (device, socket or FIFO)");
  if (!dst) return Copy("new");
  if (options.no_overwrite) return Skip("exists at the destination (--no-overwrite)");
  if (src->kind != dst->kind) {
    return Copy(std::string("was a ") + KindName(dst->kind) + ", now a " + KindName(src->kind));
  }
  if (options.mode == CompareMode::kAll) {
    return src->kind == EntryKind::kDirectory ? Decision{Action::kUpdateMetadata, "all"}
                                              : Copy("all");
  }
  if (src->kind == EntryKind::kDirectory) {
    // Directory times change whenever their contents do: only mode and owner count.
    std::string diff = AttributeDifference(*src, *dst, options.preserve, false);
    if (!diff.empty()) return {Action::kUpdateMetadata, diff + " changed"};
    return Skip("unchanged");
  }
  if (src->size != dst->size) return Copy("size changed");
  if (options.mode == CompareMode::kChecksum && src->kind == EntryKind::kFile) {
    if (ChecksumsComparable(*src, *dst)) {
      if (src->checksum->value != dst->checksum->value) return Copy("checksum changed");
    } else if (!src->content_md5.empty() && !dst->content_md5.empty()) {
      if (src->content_md5 != dst->content_md5) return Copy("MD5 changed");
    } else {
      return Copy("no comparable checksum");
    }
    std::string diff = AttributeDifference(*src, *dst, options.preserve, true);
    if (!diff.empty()) return {Action::kUpdateMetadata, diff + " changed"};
    return Skip("same checksum");
  }
  // kChanged.
  auto src_time = EffectiveMtime(*src);
  auto dst_time = EffectiveMtime(*dst);
  if (!src_time || !dst_time) return Copy("no modification time to compare");
  if (HasStoredMtime(*src) && HasStoredMtime(*dst)) {
    if (!SameTime(*src_time, *dst_time)) return Copy("mtime changed");
  } else if (*src_time > *dst_time && !SameTime(*src_time, *dst_time)) {
    // One side has no stored mtime (another tool wrote it): as `aws s3 sync`, a copy is due
    // only when the source is newer than the destination's Last-Modified.
    return Copy("source newer");
  } else {
    return Skip("unchanged (destination not older)");
  }
  std::string diff = AttributeDifference(*src, *dst, options.preserve, false);
  if (!diff.empty()) return {Action::kUpdateMetadata, diff + " changed"};
  return Skip("unchanged");
}

const char* KindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile:
      return "file";
    case EntryKind::kDirectory:
      return "directory";
    case EntryKind::kSymlink:
      return "symlink";
    case EntryKind::kSpecial:
      return "special file";
  }
  return "?";
}

}  // namespace ferry::sync
