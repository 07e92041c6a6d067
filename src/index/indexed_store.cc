#include "index/indexed_store.h"

#include <algorithm>

namespace ferry::index {

bool IndexedStore::Covers(std::string_view bucket, std::string_view prefix) const {
  return bucket == index_->info().bucket && prefix.starts_with(index_->info().prefix);
}

Status CheckCovers(const IndexReader& index, std::string_view bucket, std::string_view prefix) {
  const IndexInfo& info = index.info();
  if (bucket == info.bucket && prefix.starts_with(info.prefix)) return Status::OK();
  return Status::InvalidArgument(index.name() + " is the index of s3://" + info.bucket + "/" +
                                 info.prefix + ", which does not hold s3://" + std::string(bucket) +
                                 "/" + std::string(prefix));
}

Result<ListObjectsPage> IndexedStore::ListObjects(const ListObjectsRequest& req) {
  if (!Covers(req.bucket, req.prefix)) return inner().ListObjects(req);
  FERRY_ASSIGN_OR_RETURN(ListObjectsPage page, index_->List(req));
  if (page.truncated) return page;
  // Keys after the index's last key are not in it: they are listed from the store, unless
  // no key of this prefix can be greater than that key.
  if (!index_->MayEndBefore(req.prefix)) return page;
  const std::string& last_indexed = index_->last_key();
  const int max_keys = req.max_keys > 0 ? req.max_keys : 1000;
  const int room = max_keys - static_cast<int>(page.objects.size() + page.common_prefixes.size());
  if (room <= 0) {
    page.truncated = true;  // the next page asks again after page.last
    return page;
  }
  ListObjectsRequest tail_req = req;
  tail_req.start_after = std::max({req.start_after, page.last, last_indexed});
  tail_req.max_keys = room;
  FERRY_ASSIGN_OR_RETURN(ListObjectsPage tail, inner().ListObjects(tail_req));
  // A common prefix already given from the index comes back when new keys fall under it.
  for (auto& p : tail.common_prefixes) {
    if (page.last.empty() || p > page.last) page.common_prefixes.push_back(std::move(p));
  }
  for (auto& o : tail.objects) page.objects.push_back(std::move(o));
  page.truncated = tail.truncated;
  if (!tail.last.empty()) page.last = std::max(page.last, tail.last);
  // Keys and common prefixes together, in order, as a listing gives them.
  std::sort(page.common_prefixes.begin(), page.common_prefixes.end());
  return page;
}

}  // namespace ferry::index
