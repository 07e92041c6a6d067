#include "s3/form_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace ferry::s3 {
namespace {

// Hands out body in pieces of `step` bytes, as a slow network would.
FormDataReader::ReadFn Feeder(const std::string& body, size_t step) {
  auto at = std::make_shared<size_t>(0);
  return [body, step, at](std::span<char> out) -> Result<size_t> {
    const size_t n = std::min({step, out.size(), body.size() - *at});
    std::copy_n(body.data() + *at, n, out.data());
    *at += n;
    return n;
  };
}

std::string Body(const std::string& file) {
  return "preamble\r\n--XyZ\r\n"
         "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
         "uploads/${filename}\r\n--XyZ\r\n"
         "content-disposition: form-data; name=\"x-amz-meta-note\"\r\n\r\n"
         "line one\r\nline two\r\n--XyZ  \r\n"
         "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".bin\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file + "\r\n--XyZ--\r\nepilogue";
}

TEST(FormDataTest, FieldsAndAFileAreReadWhateverTheReadSizes) {
  std::string file(200000, '\0');
  for (size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>(i * 7 % 251);
  file.replace(1000, 9, "\r\n--XyY\r\n");  // almost the delimiter, inside the data
  file.replace(5000, 6, "\r\n--Xy");
  for (size_t step : {1, 3, 64, 4096, 1 << 20}) {
    FormDataReader form(Feeder(Body(file), step), "XyZ");
    auto key = form.NextPart();
    ASSERT_TRUE(key.ok() && *key) << key.status().ToString();
    EXPECT_EQ((*key)->name, "key");
    EXPECT_EQ(*form.ReadAll(1024), "uploads/${filename}");
    auto note = form.NextPart();
    ASSERT_TRUE(note.ok() && *note);
    EXPECT_EQ((*note)->name, "x-amz-meta-note");
    EXPECT_EQ(*form.ReadAll(1024), "line one\r\nline two");
    auto part = form.NextPart();
    ASSERT_TRUE(part.ok() && *part) << part.status().ToString();
    EXPECT_EQ((*part)->name, "file");
    EXPECT_EQ((*part)->filename, "a \"b\".bin");
    EXPECT_EQ((*part)->content_type, "application/octet-stream");
    std::string got;
    char buf[777];
    for (;;) {
      auto n = form.Read(std::span<char>(buf, sizeof buf));
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      if (*n == 0) break;
      got.append(buf, *n);
    }
    EXPECT_EQ(got.size(), file.size()) << step;
    EXPECT_TRUE(got == file) << step;
    auto end = form.NextPart();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(*end);
  }
}

TEST(FormDataTest, AFieldLeftUnreadIsSkipped) {
  FormDataReader form(Feeder(Body("data"), 5), "XyZ");
  ASSERT_TRUE(*form.NextPart());
  ASSERT_TRUE(*form.NextPart());
  auto file = form.NextPart();
  ASSERT_TRUE(file.ok() && *file);
  EXPECT_EQ((*file)->name, "file");
  EXPECT_EQ(*form.ReadAll(100), "data");
}

TEST(FormDataTest, BadBodiesAreMalformed) {
  auto code = [](const std::string& body, size_t limit = 1 << 20) -> std::string {
    FormDataReader form(Feeder(body, 7), "XyZ");
    for (;;) {
      auto part = form.NextPart();
      if (!part.ok()) return part.status().s3_code();
      if (!*part) return "ok";
      auto all = form.ReadAll(limit);
      if (!all.ok()) return all.status().s3_code();
    }
  };
  EXPECT_EQ(code(Body("x")), "ok");
  EXPECT_EQ(code("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"),
            "MalformedPOSTRequest");
  EXPECT_EQ(code("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"),
            "MalformedPOSTRequest");  // no Content-Disposition
  EXPECT_EQ(code("--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--"),
            "MalformedPOSTRequest");
  EXPECT_EQ(code("no boundary at all"), "MalformedPOSTRequest");
  EXPECT_EQ(code(""), "MalformedPOSTRequest");
  EXPECT_EQ(code(Body(std::string(100, 'x')), 50), "MaxPostPreDataLengthExceeded");
}

TEST(FormDataTest, TheBoundaryComesFromTheContentType) {
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormDataBoundary("Multipart/Form-Data;boundary=\"a b\""), "a b");
  EXPECT_EQ(FormDataBoundary("multipart/mixed; boundary=abc"), std::nullopt);
  EXPECT_EQ(FormDataBoundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=" + std::string(71, 'a')),
            std::nullopt);
}

}  // namespace
}  // namespace ferry::s3
