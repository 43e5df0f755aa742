// The tolerant XML extractor and the S3 response parsers.
#include "uploader/s3/s3_xml.h"

#include <gtest/gtest.h>

#include "agent/base/clock.h"
#include "uploader/s3/xml.h"

namespace kb::uploader {
namespace {

TEST(Xml, ElementsMatchWholeNamesOnly) {
  std::string_view doc =
      "<?xml version=\"1.0\"?><R><KeyMarker>m</KeyMarker><Key>a</Key><Key attr=\"1\">b</Key>"
      "<Key/></R>";
  auto keys = XmlElements(doc, "Key");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], "a");
  EXPECT_EQ(keys[1], "b");
  EXPECT_EQ(keys[2], "");
  EXPECT_EQ(XmlText(doc, "KeyMarker"), "m");
  EXPECT_FALSE(XmlText(doc, "Missing").has_value());
  EXPECT_EQ(XmlRootName(doc), "R");
  EXPECT_EQ(XmlRootName("  \n<!-- c --><Error><Code>x</Code></Error>"), "Error");
  EXPECT_EQ(XmlRootName("   "), "");
}

TEST(Xml, EscapesRoundTrip) {
  EXPECT_EQ(XmlUnescape("&quot;a&amp;b&lt;c&gt;&apos;&#34;&#x41;&#233;"), "\"a&b<c>'\"Aé");
  EXPECT_EQ(XmlUnescape("AT&T & co"), "AT&T & co");
  EXPECT_EQ(XmlEscape("<a&\"b'>"), "&lt;a&amp;&quot;b&apos;&gt;");
}

TEST(S3Xml, ListObjectsV2WithUrlEncodedKeys) {
  std::string doc =
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
      "<Prefix>p%2F</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok==</NextContinuationToken>"
      "<Contents><Key>p/a+b%2Bc.txt</Key><LastModified>2026-11-24T02:00:04.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<CommonPrefixes><Prefix>p/sub%20dir/</Prefix></CommonPrefixes></ListBucketResult>";
  auto page = ParseListObjectsV2(doc, true);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "p/a b+c.txt");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[0].etag, "abc");
  EXPECT_EQ(FormatRfc3339(page->objects[0].last_modified), "2026-11-24T02:00:04Z");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"p/sub dir/"});
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok==");
  EXPECT_EQ(ParseListObjectsV2("<Error/>", true).status().code(), StatusCode::kUnavailable);
}

TEST(S3Xml, ListPartsWithChecksums) {
  std::string doc =
      "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2"
      "</NextPartNumberMarker><Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag><Size>5</Size>"
      "<ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256></Part>"
      "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><Size>7</Size></Part>"
      "</ListPartsResult>";
  auto page = ParseListParts(doc);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].number, 2);
  EXPECT_EQ(page->parts[0].etag, "e2");
  EXPECT_EQ(page->parts[0].sha256_hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(page->parts[1].sha256_hex, "");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_part_number_marker, 2);
}

TEST(S3Xml, ListMultipartUploadsAndInitiate) {
  std::string doc =
      "<ListMultipartUploadsResult><KeyMarker></KeyMarker><IsTruncated>false</IsTruncated>"
      "<Upload><Key>k/1</Key><UploadId>U1</UploadId><Initiator><ID>x</ID></Initiator>"
      "<Initiated>2026-11-24T01:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>";
  auto page = ParseListMultipartUploads(doc);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->uploads.size(), 1u);
  EXPECT_EQ(page->uploads[0].key, "k/1");
  EXPECT_EQ(page->uploads[0].upload_id, "U1");
  EXPECT_EQ(FormatRfc3339(page->uploads[0].initiated), "2026-11-24T01:00:00Z");
  EXPECT_EQ(*ParseInitiateMultipartUpload(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                "<UploadId>abc-1</UploadId></InitiateMultipartUploadResult>"),
            "abc-1");
  EXPECT_FALSE(ParseInitiateMultipartUpload("<Error><Code>x</Code></Error>").ok());
}

TEST(S3Xml, CompleteBodyListsPartsWithQuotedETagsAndChecksums) {
  std::string body = CompleteMultipartUploadXml(
      {{.number = 1, .size = 5, .etag = "e1",
        .sha256_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
       {.number = 2, .size = 1, .etag = "e2", .sha256_hex = ""}});
  EXPECT_NE(body.find("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
                      "<ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256>"
                      "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"),
            std::string::npos)
      << body;
}

TEST(S3Xml, HelpersDecodeAndStrip) {
  EXPECT_EQ(UrlDecode("a%2Fb+c%zz", true), "a/b c%zz");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(StripQuotes("\"abc-2\""), "abc-2");
  EXPECT_EQ(StripQuotes("W/\"x\""), "x");
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseHttpDate("Tue, 24 Nov 2026 02:00:04 GMT", t));
  EXPECT_EQ(FormatRfc3339(t), "2026-11-24T02:00:04Z");
  EXPECT_FALSE(ParseHttpDate("yesterday", t));
}

}  // namespace
}  // namespace kb::uploader
