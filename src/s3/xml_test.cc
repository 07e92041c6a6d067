#include "s3/xml.h"

#include <gtest/gtest.h>

#include <cerrno>

#include <pugixml.hpp>

#include "s3/errors.h"
#include "s3/names.h"
#include "s3/xml_parse.h"

namespace ferry::s3 {
namespace {

constexpr char kDecl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
constexpr int64_t kTime = 1445412480LL * 1'000'000'000 + 123'000'000;  // 2015-10-21T07:28:00.123Z

// Parses an output document; fails the test when it is not well-formed.
struct Parsed {
  explicit Parsed(const std::string& xml) {
    EXPECT_TRUE(xml.starts_with(kDecl)) << xml;
    auto result = doc.load_string(xml.c_str(), pugi::parse_default | pugi::parse_ws_pcdata_single);
    EXPECT_TRUE(result) << result.description() << "\n" << xml;
    root = doc.document_element();
  }
  std::string Text(const char* path) const { return root.first_element_by_path(path).text().get(); }
  bool Has(const char* path) const { return bool(root.first_element_by_path(path)); }
  size_t Count(const char* name) const {
    size_t n = 0;
    for (auto c : root.children(name)) n += c ? 1 : 0;
    return n;
  }
  pugi::xml_document doc;
  pugi::xml_node root;
};

ObjectMeta Object(std::string key, uint64_t size = 10) {
  ObjectMeta o;
  o.key = std::move(key);
  o.size = size;
  o.etag = "9a0364b9e99bb480dd25e1f0284c8555";
  o.last_modified_ns = kTime;
  return o;
}

const Owner kOwner{"ferry-owner-id", "ferry"};

// Well-formed XML 1.0 text: valid UTF-8, no raw control characters but tab and LF, and no
// character references other than the CR one these builders write.
void ExpectStrictXml10(const std::string& xml) {
  EXPECT_TRUE(IsValidUtf8(xml));
  for (char c : xml) {
    auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 || c == '\t' || c == '\n') << "raw control char " << int(u);
  }
  for (size_t pos = 0; (pos = xml.find("&#", pos)) != std::string::npos; ++pos) {
    EXPECT_EQ(xml.substr(pos, 5), "&#13;") << xml;
  }
}

TEST(XmlError, ExactDocument) {
  std::string xml =
      ErrorXml(s3err::NoSuchKey("b", "a&b"), {.resource = "/b/a&b",
                                              .request_id = "4442587FB7D0A2F9",
                                              .extra = {{"Key", "a&b"}, {"BucketName", "b"}}});
  EXPECT_EQ(xml, std::string(kDecl) +
                     "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist: "
                     "b/a&amp;b</Message><Key>a&amp;b</Key><BucketName>b</BucketName>"
                     "<Resource>/b/a&amp;b</Resource><RequestId>4442587FB7D0A2F9</RequestId>"
                     "</Error>");
}

TEST(XmlError, StatusWithoutS3CodeIsMapped) {
  Parsed p(ErrorXml(Status::IOError("disk on fire"), {.request_id = "r", .host_id = "h"}));
  EXPECT_EQ(p.Text("Code"), "InternalError");
  // The engine's own words stay in the server's log.
  EXPECT_EQ(p.Text("Message"), "We encountered an internal error. Please try again.");
  EXPECT_EQ(p.Text("HostId"), "h");
  EXPECT_FALSE(p.Has("Resource"));
  Parsed full(ErrorXml(Status::FromErrno("write blob 1234abcd", ENOSPC), {.request_id = "r"}));
  EXPECT_EQ(full.Text("Code"), "InsufficientStorage");
  EXPECT_EQ(full.Text("Message").find("1234abcd"), std::string::npos);
}

TEST(XmlListBuckets, OwnerAndBuckets) {
  Parsed p(ListBucketsXml(kOwner, {{"alpha", kTime}, {"beta", 0}}));
  EXPECT_STREQ(p.root.name(), "ListAllMyBucketsResult");
  EXPECT_STREQ(p.root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_EQ(p.Text("Owner/ID"), "ferry-owner-id");
  EXPECT_EQ(p.Text("Owner/DisplayName"), "ferry");
  auto buckets = p.root.child("Buckets");
  EXPECT_EQ(std::string(buckets.first_child().child("Name").text().get()), "alpha");
  EXPECT_EQ(std::string(buckets.first_child().child("CreationDate").text().get()),
            "2015-10-21T07:28:00.123Z");
  EXPECT_EQ(std::string(buckets.last_child().child("CreationDate").text().get()),
            "1970-01-01T00:00:00.000Z");
}

TEST(XmlListObjectsV2, Page) {
  ListObjectsPage page;
  page.objects = {Object("dir/a.txt", 42), Object("dir/b.txt")};
  page.objects[1].headers.storage_class = "GLACIER";
  page.objects[1].checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "yZRlqg=="};
  page.common_prefixes = {"dir/sub/"};
  page.truncated = true;
  page.last = "dir/sub/";
  ListObjectsV2Params params{.bucket = "bkt",
                             .prefix = "dir/",
                             .delimiter = "/",
                             .continuation_token = "tok1",
                             .next_continuation_token = "tok2",
                             .max_keys = 3};
  Parsed p(ListObjectsV2Xml(params, page, kOwner));
  EXPECT_STREQ(p.root.name(), "ListBucketResult");
  EXPECT_EQ(p.Text("Name"), "bkt");
  EXPECT_EQ(p.Text("Prefix"), "dir/");
  EXPECT_EQ(p.Text("Delimiter"), "/");
  EXPECT_EQ(p.Text("MaxKeys"), "3");
  EXPECT_EQ(p.Text("KeyCount"), "3");
  EXPECT_EQ(p.Text("IsTruncated"), "true");
  EXPECT_EQ(p.Text("ContinuationToken"), "tok1");
  EXPECT_EQ(p.Text("NextContinuationToken"), "tok2");
  EXPECT_FALSE(p.Has("StartAfter"));
  EXPECT_FALSE(p.Has("EncodingType"));
  EXPECT_EQ(p.Count("Contents"), 2u);
  EXPECT_EQ(p.Text("Contents/Key"), "dir/a.txt");
  EXPECT_EQ(p.Text("Contents/LastModified"), "2015-10-21T07:28:00.123Z");
  EXPECT_EQ(p.Text("Contents/ETag"), "\"9a0364b9e99bb480dd25e1f0284c8555\"");
  EXPECT_EQ(p.Text("Contents/Size"), "42");
  EXPECT_EQ(p.Text("Contents/StorageClass"), "STANDARD");
  EXPECT_FALSE(p.Has("Contents/Owner"));
  EXPECT_FALSE(p.root.child("Contents").child("ChecksumAlgorithm"));
  auto second = p.root.child("Contents").next_sibling("Contents");
  EXPECT_STREQ(second.child("StorageClass").text().get(), "GLACIER");
  EXPECT_STREQ(second.child("ChecksumAlgorithm").text().get(), "CRC32C");
  EXPECT_EQ(p.Text("CommonPrefixes/Prefix"), "dir/sub/");
}

TEST(XmlListObjectsV2, FetchOwnerAndNotTruncated) {
  ListObjectsPage page;
  page.objects = {Object("k")};
  Parsed p(ListObjectsV2Xml(
      {.bucket = "b", .next_continuation_token = "unused", .fetch_owner = true}, page, kOwner));
  EXPECT_EQ(p.Text("IsTruncated"), "false");
  EXPECT_FALSE(p.Has("NextContinuationToken"));
  EXPECT_FALSE(p.Has("Delimiter"));
  EXPECT_TRUE(p.Has("Prefix"));
  EXPECT_EQ(p.Text("Contents/Owner/ID"), "ferry-owner-id");
}

TEST(XmlListObjectsV2, UrlEncodingAppliesToKeyLikeFields) {
  ListObjectsPage page;
  page.objects = {Object("a b/\xC3\xBC&+~.txt")};
  page.common_prefixes = {"a b/c d/"};
  Parsed p(ListObjectsV2Xml({.bucket = "b",
                             .prefix = "a b/",
                             .delimiter = "/",
                             .start_after = "a b/0",
                             .continuation_token = "x y",
                             .url_encoding = true},
                            page, kOwner));
  EXPECT_EQ(p.Text("EncodingType"), "url");
  EXPECT_EQ(p.Text("Prefix"), "a%20b/");
  EXPECT_EQ(p.Text("Delimiter"), "/");
  EXPECT_EQ(p.Text("StartAfter"), "a%20b/0");
  EXPECT_EQ(p.Text("ContinuationToken"), "x y");  // tokens are not encoded
  EXPECT_EQ(p.Text("Contents/Key"), "a%20b/%C3%BC%26%2B%7E.txt");
  EXPECT_EQ(p.Text("CommonPrefixes/Prefix"), "a%20b/c%20d/");
}

TEST(XmlListObjectsV1, MarkersAndOwner) {
  ListObjectsPage page;
  page.objects = {Object("a"), Object("b")};
  page.truncated = true;
  page.last = "b";
  Parsed with_delim(ListObjectsV1Xml(
      {.bucket = "bk", .delimiter = "/", .marker = "0", .max_keys = 2}, page, kOwner));
  EXPECT_EQ(with_delim.Text("Marker"), "0");
  EXPECT_EQ(with_delim.Text("NextMarker"), "b");
  EXPECT_EQ(with_delim.Text("Contents/Owner/DisplayName"), "ferry");
  EXPECT_FALSE(with_delim.Has("KeyCount"));

  Parsed no_delim(ListObjectsV1Xml({.bucket = "bk", .max_keys = 2}, page, kOwner));
  EXPECT_TRUE(no_delim.Has("Marker"));
  EXPECT_FALSE(no_delim.Has("NextMarker"));

  Parsed url(ListObjectsV1Xml(
      {.bucket = "bk", .prefix = "p q", .delimiter = "/", .marker = "m n", .url_encoding = true},
      page, kOwner));
  EXPECT_EQ(url.Text("Marker"), "m%20n");
  EXPECT_EQ(url.Text("Prefix"), "p%20q");
  EXPECT_EQ(url.Text("EncodingType"), "url");
}

TEST(XmlEscaping, SpecialCharactersRoundTrip) {
  for (const std::string key :
       {"a&b<c>d\"e'f", "caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80", " lead", "trail ",
        " ", "tab\there", "line\nfeed", "carriage\rreturn", "crlf\r\n", "]]>", "&amp;"}) {
    ListObjectsPage page;
    page.objects = {Object(key)};
    std::string xml = ListObjectsV2Xml({.bucket = "b"}, page, kOwner);
    ExpectStrictXml10(xml);
    Parsed p(xml);
    EXPECT_EQ(p.Text("Contents/Key"), key);
  }
}

TEST(XmlEscaping, IllegalCharactersStillGiveWellFormedXml) {
  const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD
  const std::string key = std::string(
                              "a\x01"
                              "b\x1F"
                              "c\0d",
                              7) +
                          "\xFF" + "\xEF\xBF\xBE";
  ListObjectsPage page;
  page.objects = {Object(key)};
  std::string xml = ListObjectsV2Xml({.bucket = "b"}, page, kOwner);
  ExpectStrictXml10(xml);
  Parsed p(xml);
  EXPECT_EQ(p.Text("Contents/Key"), "a" + replacement + "b" + replacement + "c" + replacement +
                                        "d" + replacement + replacement);
  // With encoding-type=url the key survives exactly.
  Parsed url(ListObjectsV2Xml({.bucket = "b", .url_encoding = true}, page, kOwner));
  EXPECT_EQ(url.Text("Contents/Key"), "a%01b%1Fc%00d%FF%EF%BF%BE");
}

TEST(XmlSafeText, ReplacesOnlyWhatXmlCannotCarry) {
  EXPECT_EQ(XmlSafeText("plain \t\n\r text \xC3\xA9"), "plain \t\n\r text \xC3\xA9");
  EXPECT_EQ(XmlSafeText("\xC3"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlSafeText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(XmlSafeText("\xEF\xBF\xBF"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlSafeText("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(XmlMultipart, InitiateAndComplete) {
  Parsed init(InitiateMultipartUploadXml("b", "k&1", "upload-id"));
  EXPECT_STREQ(init.root.name(), "InitiateMultipartUploadResult");
  EXPECT_EQ(init.Text("Bucket"), "b");
  EXPECT_EQ(init.Text("Key"), "k&1");
  EXPECT_EQ(init.Text("UploadId"), "upload-id");

  ObjectMeta o = Object("k");
  o.etag = "3858f62230ac3c915f300c664312c11f-9";
  o.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "yZRlqg==", true, 9};
  Parsed done(CompleteMultipartUploadXml("http://h/b/k", "b", o));
  EXPECT_EQ(done.Text("Location"), "http://h/b/k");
  EXPECT_EQ(done.Text("Bucket"), "b");
  EXPECT_EQ(done.Text("Key"), "k");
  EXPECT_EQ(done.Text("ETag"), "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(done.Text("ChecksumCRC32C"), "yZRlqg==-9");
  EXPECT_EQ(done.Text("ChecksumType"), "COMPOSITE");

  o.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc64Nvme, "AAAAAAAAAAA=", false, 0};
  Parsed full(CompleteMultipartUploadXml("l", "b", o));
  EXPECT_EQ(full.Text("ChecksumCRC64NVME"), "AAAAAAAAAAA=");
  EXPECT_EQ(full.Text("ChecksumType"), "FULL_OBJECT");
}

TEST(XmlMultipart, CopyResults) {
  ObjectMeta o = Object("k");
  o.checksum = ObjectChecksum{ChecksumAlgorithm::kSha256, "c2hh"};
  Parsed copy(CopyObjectResultXml(o));
  EXPECT_STREQ(copy.root.name(), "CopyObjectResult");
  EXPECT_EQ(copy.Text("LastModified"), "2015-10-21T07:28:00.123Z");
  EXPECT_EQ(copy.Text("ETag"), "\"9a0364b9e99bb480dd25e1f0284c8555\"");
  EXPECT_EQ(copy.Text("ChecksumSHA256"), "c2hh");

  PartInfo part{3, "\"abc\"", 5, kTime, std::nullopt};
  Parsed cp(CopyPartResultXml(part));
  EXPECT_STREQ(cp.root.name(), "CopyPartResult");
  EXPECT_EQ(cp.Text("ETag"), "\"abc\"");
  EXPECT_FALSE(cp.Has("ChecksumCRC32"));
}

TEST(XmlMultipart, ListParts) {
  ListPartsResult r;
  r.upload = {"k", "up1", kTime, ""};
  r.checksum_algorithm = ChecksumAlgorithm::kCrc32;
  r.parts = {{1, "e1", 5 << 20, kTime, ObjectChecksum{ChecksumAlgorithm::kCrc32, "AAAAAA=="}},
             {2, "e2", 100, kTime, std::nullopt}};
  r.truncated = true;
  r.next_part_number_marker = 2;
  Parsed p(ListPartsXml("b", {.part_number_marker = 0, .max_parts = 2}, r, kOwner));
  EXPECT_EQ(p.Text("Bucket"), "b");
  EXPECT_EQ(p.Text("Key"), "k");
  EXPECT_EQ(p.Text("UploadId"), "up1");
  EXPECT_EQ(p.Text("PartNumberMarker"), "0");
  EXPECT_EQ(p.Text("NextPartNumberMarker"), "2");
  EXPECT_EQ(p.Text("MaxParts"), "2");
  EXPECT_EQ(p.Text("IsTruncated"), "true");
  EXPECT_EQ(p.Text("StorageClass"), "STANDARD");
  EXPECT_EQ(p.Text("ChecksumAlgorithm"), "CRC32");
  EXPECT_EQ(p.Text("Initiator/ID"), "ferry-owner-id");
  EXPECT_EQ(p.Count("Part"), 2u);
  EXPECT_EQ(p.Text("Part/PartNumber"), "1");
  EXPECT_EQ(p.Text("Part/ETag"), "\"e1\"");
  EXPECT_EQ(p.Text("Part/Size"), "5242880");
  EXPECT_EQ(p.Text("Part/ChecksumCRC32"), "AAAAAA==");
}

TEST(XmlMultipart, ListUploads) {
  ListUploadsRequest req{.bucket = "b", .prefix = "p q", .delimiter = "/", .max_uploads = 5};
  ListUploadsResult res;
  res.uploads = {{"p q/k", "u1", kTime, "STANDARD_IA"}};
  res.common_prefixes = {"p q/d/"};
  res.truncated = true;
  res.next_key_marker = "p q/k";
  res.next_upload_id_marker = "u1";
  Parsed plain(ListMultipartUploadsXml(req, res, kOwner, false));
  EXPECT_EQ(plain.Text("Bucket"), "b");
  EXPECT_EQ(plain.Text("NextKeyMarker"), "p q/k");
  EXPECT_EQ(plain.Text("NextUploadIdMarker"), "u1");
  EXPECT_EQ(plain.Text("MaxUploads"), "5");
  EXPECT_EQ(plain.Text("Upload/Key"), "p q/k");
  EXPECT_EQ(plain.Text("Upload/UploadId"), "u1");
  EXPECT_EQ(plain.Text("Upload/StorageClass"), "STANDARD_IA");
  EXPECT_EQ(plain.Text("Upload/Initiated"), "2015-10-21T07:28:00.123Z");
  EXPECT_EQ(plain.Text("CommonPrefixes/Prefix"), "p q/d/");
  Parsed url(ListMultipartUploadsXml(req, res, kOwner, true));
  EXPECT_EQ(url.Text("Prefix"), "p%20q");
  EXPECT_EQ(url.Text("NextKeyMarker"), "p%20q/k");
  EXPECT_EQ(url.Text("Upload/Key"), "p%20q/k");
  EXPECT_EQ(url.Text("CommonPrefixes/Prefix"), "p%20q/d/");
}

TEST(XmlDelete, QuietListsOnlyErrors) {
  std::vector<DeleteOutcome> outcomes = {
      {"a", Status::OK()}, {"b", s3err::AccessDenied("Access Denied")}, {"c", Status::OK()}};
  Parsed loud(DeleteResultXml(outcomes, false));
  EXPECT_EQ(loud.Count("Deleted"), 2u);
  EXPECT_EQ(loud.Count("Error"), 1u);
  EXPECT_EQ(loud.Text("Error/Key"), "b");
  EXPECT_EQ(loud.Text("Error/Code"), "AccessDenied");
  EXPECT_EQ(loud.Text("Error/Message"), "Access Denied");
  Parsed quiet(DeleteResultXml(outcomes, true));
  EXPECT_EQ(quiet.Count("Deleted"), 0u);
  EXPECT_EQ(quiet.Count("Error"), 1u);
}

TEST(XmlBucketConfig, SmallDocuments) {
  const std::string ns = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
  EXPECT_EQ(LocationConstraintXml("us-east-1"),
            std::string(kDecl) + "<LocationConstraint" + ns + "/>");
  EXPECT_EQ(LocationConstraintXml("eu-west-1"),
            std::string(kDecl) + "<LocationConstraint" + ns + ">eu-west-1</LocationConstraint>");
  EXPECT_EQ(VersioningConfigurationXml(VersioningStatus::kUnversioned),
            std::string(kDecl) + "<VersioningConfiguration" + ns + "/>");
  EXPECT_EQ(VersioningConfigurationXml(VersioningStatus::kSuspended),
            std::string(kDecl) + "<VersioningConfiguration" + ns +
                "><Status>Suspended</Status></VersioningConfiguration>");
}

TEST(XmlObjectAttributes, SelectedAttributes) {
  ObjectMeta o = Object("k", 300);
  o.etag = "abc-3";
  o.parts_count = 3;
  o.part_sizes = {100, 100, 100};
  o.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "yZRlqg==", true, 3};
  Parsed all(GetObjectAttributesXml(o, {.etag = true,
                                        .checksum = true,
                                        .object_parts = true,
                                        .storage_class = true,
                                        .object_size = true,
                                        .max_parts = 2}));
  EXPECT_STREQ(all.root.name(), "GetObjectAttributesResponse");
  EXPECT_EQ(all.Text("ETag"), "abc-3");  // unquoted in this response
  EXPECT_EQ(all.Text("Checksum/ChecksumCRC32C"), "yZRlqg==-3");
  EXPECT_EQ(all.Text("Checksum/ChecksumType"), "COMPOSITE");
  EXPECT_EQ(all.Text("ObjectParts/PartsCount"), "3");
  EXPECT_EQ(all.Text("ObjectParts/MaxParts"), "2");
  EXPECT_EQ(all.Text("ObjectParts/IsTruncated"), "true");
  EXPECT_EQ(all.Text("ObjectParts/NextPartNumberMarker"), "2");
  EXPECT_EQ(all.Text("ObjectParts/Part/PartNumber"), "1");
  EXPECT_EQ(all.Text("ObjectParts/Part/Size"), "100");
  EXPECT_EQ(all.Text("StorageClass"), "STANDARD");
  EXPECT_EQ(all.Text("ObjectSize"), "300");

  Parsed next(GetObjectAttributesXml(o, {.object_parts = true, .part_number_marker = 2}));
  EXPECT_EQ(next.Text("ObjectParts/IsTruncated"), "false");
  EXPECT_EQ(next.Text("ObjectParts/Part/PartNumber"), "3");
  EXPECT_FALSE(next.Has("ETag"));
  EXPECT_FALSE(next.Has("ObjectSize"));

  Parsed single(GetObjectAttributesXml(Object("k"), {.object_parts = true, .object_size = true}));
  EXPECT_FALSE(single.Has("ObjectParts"));
  EXPECT_EQ(single.Text("ObjectSize"), "10");
}

// ------------------------------------------------------------------------------------------
// Parsers.

std::string Code(const Status& s) {
  return s.ok() ? "OK" : s.s3_code();
}

TEST(ParseComplete, PartsWithEtagsAndChecksums) {
  auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>\"e1\"</ETag><PartNumber>1</PartNumber>"
      "<ChecksumCRC32C>yZRlqg==</ChecksumCRC32C></Part>"
      "<Part>\n  <PartNumber> 2 </PartNumber>\n  <ETag>&quot;e2&quot;</ETag>\n</Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].part_number, 1);
  EXPECT_EQ((*parts)[0].etag, "\"e1\"");
  EXPECT_EQ((*parts)[0].checksum, "yZRlqg==");
  EXPECT_EQ((*parts)[1].part_number, 2);
  EXPECT_EQ((*parts)[1].etag, "\"e2\"");
  EXPECT_EQ((*parts)[1].checksum, "");
}

TEST(ParseComplete, NamespacePrefixesAndXmlDeclaration) {
  auto parts = ParseCompleteMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:Part><s3:PartNumber>7</s3:PartNumber><s3:ETag>e</s3:ETag></s3:Part>"
      "</s3:CompleteMultipartUpload>");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ((*parts)[0].part_number, 7);
}

TEST(ParseComplete, RejectsMalformedBodies) {
  for (const char* body :
       {"", "not xml", "<CompleteMultipartUpload>", "<CompleteMultipartUpload/>",
        "<Other><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Other>",
        "<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>99999999999999</PartNumber><ETag>e</ETag>"
        "</Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"}) {
    EXPECT_EQ(Code(ParseCompleteMultipartUpload(body).status()), "MalformedXML") << body;
  }
  for (const char* n : {"0", "10001", "-1"}) {
    std::string body = std::string("<CompleteMultipartUpload><Part><PartNumber>") + n +
                       "</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>";
    EXPECT_EQ(Code(ParseCompleteMultipartUpload(body).status()), "InvalidArgument") << n;
  }
}

TEST(ParseDelete, KeysVerbatimAndQuiet) {
  auto req = ParseDeleteObjects(
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
      "<Object><Key>a&amp;b</Key></Object><Object><Key> </Key><VersionId>v</VersionId></Object>"
      "<Object><Key>caf\xC3\xA9 x </Key></Object><Object><Key>cr&#13;lf</Key></Object>"
      "<Object><Key><![CDATA[<raw>]]></Key></Object></Delete>");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_TRUE(req->quiet);
  EXPECT_EQ(req->keys, (std::vector<std::string>{"a&b", " ", "caf\xC3\xA9 x ", "cr\rlf", "<raw>"}));
  auto loud = ParseDeleteObjects("<Delete><Object><Key>k</Key></Object></Delete>");
  ASSERT_TRUE(loud.ok());
  EXPECT_FALSE(loud->quiet);
}

TEST(ParseDelete, LimitsAndMalformedBodies) {
  auto many = [](int n) {
    std::string body = "<Delete>";
    for (int i = 0; i < n; ++i) body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
    return body + "</Delete>";
  };
  auto thousand = ParseDeleteObjects(many(1000));
  ASSERT_TRUE(thousand.ok());
  EXPECT_EQ(thousand->keys.size(), 1000u);
  EXPECT_EQ(Code(ParseDeleteObjects(many(1001)).status()), "MalformedXML");
  for (const char* body : {"", "<Delete/>", "<Delete><Object/></Delete>", "<Remove/>",
                           "<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>",
                           "<Delete><Object><Key>k</Key></Object>"}) {
    EXPECT_EQ(Code(ParseDeleteObjects(body).status()), "MalformedXML") << body;
  }
}

TEST(ParseCreateBucket, Location) {
  EXPECT_EQ(*ParseCreateBucketConfiguration(""), "");
  EXPECT_EQ(*ParseCreateBucketConfiguration("  \n"), "");
  EXPECT_EQ(*ParseCreateBucketConfiguration(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
            "eu-west-1");
  EXPECT_EQ(*ParseCreateBucketConfiguration("<CreateBucketConfiguration/>"), "");
  EXPECT_EQ(Code(ParseCreateBucketConfiguration("<CreateBucketConfiguration>").status()),
            "MalformedXML");
  EXPECT_EQ(Code(ParseCreateBucketConfiguration("<Foo/>").status()), "MalformedXML");
}

TEST(XmlParsers, EntitiesAreNotExpanded) {
  // A DOCTYPE with entity declarations (billion laughs / XXE) is not processed.
  auto req = ParseDeleteObjects(
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">"
      "<!ENTITY y \"yy\">]><Delete><Object><Key>&x;&y;</Key></Object></Delete>");
  if (req.ok()) {
    ASSERT_EQ(req->keys.size(), 1u);
    EXPECT_EQ(req->keys[0].find("root"), std::string::npos);
    EXPECT_EQ(req->keys[0].find("yy"), std::string::npos);
  } else {
    EXPECT_EQ(req.status().s3_code(), "MalformedXML");
  }
}

}  // namespace
}  // namespace ferry::s3
