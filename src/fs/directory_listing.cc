#include "fs/directory_listing.h"

#include <algorithm>
#include <map>

namespace ferry::fs {
namespace {

bool UsableName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

std::vector<DirectoryEntry> DirectoryEntries(std::string_view prefix,
                                             const std::vector<ListObjectsPage>& pages) {
  std::map<std::string, DirectoryEntry, std::less<>> by_name;
  for (const auto& page : pages) {
    for (const auto& p : page.common_prefixes) {
      if (!p.starts_with(prefix) || !p.ends_with('/')) continue;
      std::string_view name = std::string_view(p).substr(prefix.size());
      name.remove_suffix(1);
      if (!UsableName(name)) continue;
      DirectoryEntry e;
      e.name = std::string(name);
      e.is_directory = true;
      by_name[e.name] = std::move(e);  // a directory replaces a file of the same name
    }
    for (const auto& o : page.objects) {
      if (!std::string_view(o.key).starts_with(prefix)) continue;
      std::string_view name = std::string_view(o.key).substr(prefix.size());
      if (!UsableName(name)) continue;
      auto [it, inserted] = by_name.try_emplace(std::string(name));
      if (!inserted) continue;  // the directory of the same name wins
      DirectoryEntry& e = it->second;
      e.name = std::string(name);
      e.size = o.size;
      e.etag = o.etag;
      e.last_modified_ns = o.last_modified_ns;
      e.storage_class = o.headers.storage_class;
    }
  }
  std::vector<DirectoryEntry> out;
  out.reserve(by_name.size());
  for (auto& [name, e] : by_name) out.push_back(std::move(e));
  return out;
}

Result<ImportPolicy> ImportPolicy::Parse(std::string_view text) {
  ImportPolicy p{false, false, false};
  if (text == "none") return p;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma - start);
    if (part == "new") {
      p.new_names = true;
    } else if (part == "changed") {
      p.changed = true;
    } else if (part == "deleted") {
      p.deleted = true;
    } else {
      return Status::InvalidArgument("--import: \"" + std::string(part) +
                                     "\" is not one of new, changed, deleted, none");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return p;
}

std::vector<DirectoryEntry> MergeListing(const std::vector<DirectoryEntry>& held,
                                         const std::vector<DirectoryEntry>& fresh,
                                         ImportPolicy policy, std::vector<std::string>* differing) {
  std::vector<DirectoryEntry> out;
  out.reserve(std::max(held.size(), fresh.size()));
  auto h = held.begin();
  auto f = fresh.begin();
  // Both are sorted by name: one merge pass.
  while (h != held.end() || f != fresh.end()) {
    if (f == fresh.end() || (h != held.end() && h->name < f->name)) {  // gone from the bucket
      if (policy.deleted) {
        differing->push_back(h->name);
      } else {
        out.push_back(*h);
      }
      ++h;
    } else if (h == held.end() || f->name < h->name) {  // new in the bucket
      if (policy.new_names) {
        differing->push_back(f->name);
        out.push_back(*f);
      }
      ++f;
    } else {
      bool changed = h->is_directory != f->is_directory || h->etag != f->etag || h->size != f->size;
      if (changed && policy.changed) differing->push_back(f->name);
      out.push_back(changed && !policy.changed ? *h : *f);
      ++h;
      ++f;
    }
  }
  return out;
}

Result<std::vector<DirectoryEntry>> ListDirectory(ObjectStore& store, const std::string& bucket,
                                                  const std::string& prefix) {
  std::vector<ListObjectsPage> pages;
  ListObjectsRequest req;
  req.bucket = bucket;
  req.prefix = prefix;
  req.delimiter.push_back('/');
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(auto page, store.ListObjects(req));
    bool more = page.truncated && !page.last.empty();
    req.start_after = page.last;
    pages.push_back(std::move(page));
    if (!more) break;
  }
  return DirectoryEntries(prefix, pages);
}

}  // namespace ferry::fs
