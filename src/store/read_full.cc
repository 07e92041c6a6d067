#include "store/read_full.h"

namespace ferry {

Status ReadFull(ObjectReader& reader, uint64_t offset, std::span<char> out, std::string_view bucket,
                const ObjectReader::ArrivalObserver* observer) {
  for (size_t done = 0; done < out.size();) {
    FERRY_ASSIGN_OR_RETURN(
        size_t n, observer ? reader.ReadAtObserved(offset + done, out.subspan(done), *observer)
                           : reader.ReadAt(offset + done, out.subspan(done)));
    if (n == 0) {
      return Status::Unavailable("s3://" + std::string(bucket) + "/" + reader.meta().key +
                                 ": ended at " + std::to_string(offset + done) + " of " +
                                 std::to_string(reader.meta().size) + " bytes");
    }
    done += n;
  }
  return Status::OK();
}

Result<std::string> ReadWholeObject(ObjectStore& store, const std::string& bucket,
                                    const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(auto reader, store.OpenObject(bucket, key));
  std::string body(static_cast<size_t>(reader->meta().size), '\0');
  FERRY_RETURN_IF_ERROR(ReadFull(*reader, 0, std::span<char>(body), bucket));
  return body;
}

}  // namespace ferry
