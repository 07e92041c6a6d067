#include "train/recordio.h"

#include <cstring>

namespace ferry::train {
namespace {

void Put32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

uint32_t Get32(std::string_view b) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[3])) << 24;
}

void AppendPart(std::string* out, uint32_t flag, std::string_view part) {
  Put32(out, kRecordIOMagic);
  Put32(out, flag << 29 | static_cast<uint32_t>(part.size()));
  out->append(part);
}

}  // namespace

Status AppendRecordIO(std::string_view data, std::string* out) {
  if (data.size() > kRecordIOMaxRecord) {
    return Status::InvalidArgument("a RecordIO record holds less than 512 MiB, not " +
                                   std::to_string(data.size()) + " bytes");
  }
  const size_t lower_align = data.size() / 4 * 4;
  size_t start = 0;  // of the part being built
  for (size_t i = 0; i < lower_align; i += 4) {
    if (Get32(data.substr(i, 4)) == kRecordIOMagic) {
      AppendPart(out, start == 0 ? 1 : 2, data.substr(start, i - start));
      start = i + 4;
    }
  }
  AppendPart(out, start == 0 ? 0 : 3, data.substr(start));
  out->append((4 - data.size() % 4) % 4, '\0');
  return Status::OK();
}

Result<std::vector<std::string>> ParseRecordIO(std::string_view bytes) {
  std::vector<std::string> records;
  std::string pending;
  bool in_split = false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 8 || Get32(bytes.substr(pos, 4)) != kRecordIOMagic) {
      return Status::Corruption("RecordIO: no record header at byte " + std::to_string(pos));
    }
    const uint32_t word = Get32(bytes.substr(pos + 4, 4));
    const uint32_t flag = word >> 29;
    const size_t length = word & ((1u << 29) - 1);
    const size_t padded = (length + 3) / 4 * 4;
    if (bytes.size() - pos - 8 < length) {
      return Status::Corruption("RecordIO: record at byte " + std::to_string(pos) + " cut short");
    }
    std::string_view part = bytes.substr(pos + 8, length);
    pos += 8 + std::min(padded, bytes.size() - pos - 8);
    if (flag == 0 && !in_split) {
      records.emplace_back(part);
    } else if (flag == 1 && !in_split) {
      pending.assign(part);
      in_split = true;
    } else if ((flag == 2 || flag == 3) && in_split) {
      // The writer left out the magic where it split the record.
      Put32(&pending, kRecordIOMagic);
      pending.append(part);
      if (flag == 3) {
        records.push_back(std::move(pending));
        pending.clear();
        in_split = false;
      }
    } else {
      return Status::Corruption("RecordIO: unexpected part flag " + std::to_string(flag));
    }
  }
  if (in_split) return Status::Corruption("RecordIO: a split record does not end");
  return records;
}

}  // namespace ferry::train
