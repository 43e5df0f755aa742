// S3ObjectStore request building against a scripted HttpTransport (no network): addressing,
// signing headers, query encoding, and responses MinIO never sends (200 + <Error>).
#include "uploader/s3/s3_object_store.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "agent/base/crypto.h"

namespace kb::uploader {
namespace {

// Records requests and answers from a script (default: 200, empty body).
class FakeTransport final : public HttpTransport {
 public:
  StatusOr<HttpResponse> Send(HttpRequest const& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent.push_back(request);
    HttpResponse response{.status = 200, .headers = {}, .body = ""};
    if (!script.empty()) {
      response = script.front();
      script.pop_front();
    }
    if (request.response_sink != nullptr && response.status / 100 == 2) {
      KB_RETURN_IF_ERROR(request.response_sink->Write(AsBytes(response.body)));
      response.body.clear();
    }
    return response;
  }
  std::string SentHeader(std::size_t i, std::string const& name) const {
    for (auto const& [k, v] : sent.at(i).headers) {
      if (k == name) return v;
    }
    return "<none>";
  }
  std::mutex mu_;
  std::vector<HttpRequest> sent;
  std::deque<HttpResponse> script;
};

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3ObjectStore> Make(S3Config config) {
    config.credentials.access_key_id = "AKID";
    config.credentials.secret_access_key = Secret<std::string>("SECRET");
    auto store = S3ObjectStore::Create(std::move(config), transport_, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000))};
};

TEST_F(S3ObjectStoreTest, VirtualHostedAddressingOnAws) {
  auto store = Make({.bucket = "backups", .prefix = "/cluster-a/", .endpoint = "",
                     .region = "eu-west-1", .path_style = false, .credentials = {}});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "s3://backups/cluster-a at https://s3.eu-west-1.amazonaws.com");
  ASSERT_TRUE(store->Put("etcd/a b+c.json", "{}", {.content_type = "application/json",
                                                  .metadata = {{"rev", "7"}}})
                  .ok());
  HttpRequest const& r = transport_->sent.at(0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "https://backups.s3.eu-west-1.amazonaws.com/cluster-a/etcd/a%20b%2Bc.json");
  EXPECT_EQ(transport_->SentHeader(0, "host"), "backups.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(transport_->SentHeader(0, "content-type"), "application/json");
  EXPECT_EQ(transport_->SentHeader(0, "x-amz-meta-rev"), "7");
  EXPECT_EQ(transport_->SentHeader(0, "x-amz-content-sha256"), Sha256Hex("{}"));
  EXPECT_EQ(transport_->SentHeader(0, "x-amz-checksum-sha256"),
            Base64Encode(HexDecode(Sha256Hex("{}"))));
  std::string auth = transport_->SentHeader(0, "authorization");
  EXPECT_NE(auth.find("Credential=AKID/20260921/eu-west-1/s3/aws4_request"), std::string::npos)
      << auth;
  EXPECT_NE(auth.find("SignedHeaders=content-type;host;x-amz-checksum-sha256;"
                      "x-amz-content-sha256;x-amz-date;x-amz-meta-rev,"),
            std::string::npos)
      << auth;
  EXPECT_EQ(auth.find("SECRET"), std::string::npos);
}

TEST_F(S3ObjectStoreTest, PathStyleListEncodesTheQuery) {
  auto store = Make({.bucket = "bkt", .prefix = "p", .endpoint = "http://127.0.0.1:9000/",
                     .region = "us-east-1", .path_style = true, .credentials = {}});
  ASSERT_NE(store, nullptr);
  transport_->script.push_back({.status = 200, .headers = {},
                                .body = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                        "<Contents><Key>p/a/x</Key><Size>3</Size></Contents>"
                                        "</ListBucketResult>"});
  auto page = store->List("a/", "/", "tok+/=");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(transport_->sent.at(0).url,
            "http://127.0.0.1:9000/bkt?continuation-token=tok%2B%2F%3D&delimiter=%2F&"
            "encoding-type=url&list-type=2&max-keys=1000&prefix=p%2Fa%2F");
  EXPECT_EQ(transport_->SentHeader(0, "host"), "127.0.0.1:9000");
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "a/x");  // relative to the store's prefix
}

TEST_F(S3ObjectStoreTest, SessionTokenIsSentAndSigned) {
  S3Config config{.bucket = "bkt", .prefix = "", .endpoint = "http://h:1", .region = "us-east-1",
                  .path_style = true, .credentials = {}};
  config.credentials.session_token = Secret<std::string>("TOKEN");
  auto store = Make(config);
  ASSERT_NE(store, nullptr);
  transport_->script.push_back({.status = 200, .headers = {{"etag", "\"e\""},
                                                           {"content-length", "5"},
                                                           {"last-modified",
                                                            "Tue, 24 Nov 2026 02:00:04 GMT"},
                                                           {"x-amz-meta-sha256", "abc"}},
                                .body = ""});
  auto info = store->Stat("k");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(transport_->sent.at(0).method, "HEAD");
  EXPECT_EQ(transport_->SentHeader(0, "x-amz-security-token"), "TOKEN");
  EXPECT_NE(transport_->SentHeader(0, "authorization").find("x-amz-security-token"),
            std::string::npos);
  EXPECT_EQ(info->etag, "e");
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(info->metadata["sha256"], "abc");
  EXPECT_EQ(FormatRfc3339(info->last_modified), "2026-11-24T02:00:04Z");
}

TEST_F(S3ObjectStoreTest, ErrorInsideA200CompleteIsRetryable) {
  auto store = Make({.bucket = "bkt", .prefix = "", .endpoint = "http://h:1",
                     .region = "us-east-1", .path_style = true, .credentials = {}});
  ASSERT_NE(store, nullptr);
  transport_->script.push_back(
      {.status = 200, .headers = {},
       .body = "<InitiateMultipartUploadResult><UploadId>U/1</UploadId>"
               "</InitiateMultipartUploadResult>"});
  auto upload = store->BeginUpload("k", {});
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  EXPECT_EQ(transport_->sent.at(0).url, "http://h:1/bkt/k?uploads=");
  EXPECT_EQ(transport_->SentHeader(0, "x-amz-checksum-algorithm"), "SHA256");
  transport_->script.push_back(
      {.status = 200, .headers = {},
       .body = "\n\n  <Error><Code>InternalError</Code><Message>try again</Message></Error>"});
  auto etag = (*upload)->Complete({{.number = 1, .size = 1, .etag = "e1", .sha256_hex = ""}});
  EXPECT_EQ(etag.status().code(), StatusCode::kUnavailable) << etag.status().ToString();
  EXPECT_EQ(transport_->sent.at(1).url, "http://h:1/bkt/k?uploadId=U%2F1");
  EXPECT_EQ(transport_->SentHeader(1, "content-type"), "application/xml");
}

TEST_F(S3ObjectStoreTest, MinioStyleUploadListingFallsBackToTheWholeBucket) {
  auto store = Make({.bucket = "bkt", .prefix = "p", .endpoint = "http://h:1",
                     .region = "us-east-1", .path_style = true, .credentials = {}});
  ASSERT_NE(store, nullptr);
  transport_->script.push_back({.status = 200, .headers = {},
                                .body = "<ListMultipartUploadsResult><IsTruncated>false"
                                        "</IsTruncated></ListMultipartUploadsResult>"});
  transport_->script.push_back(
      {.status = 200, .headers = {},
       .body = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
               "<Upload><Key>p/x/1</Key><UploadId>A</UploadId></Upload>"
               "<Upload><Key>q/x/2</Key><UploadId>B</UploadId></Upload>"
               "</ListMultipartUploadsResult>"});
  auto uploads = store->ListUploads("x/");
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->size(), 1u);
  EXPECT_EQ((*uploads)[0].key, "x/1");
  EXPECT_EQ((*uploads)[0].upload_id, "A");
  EXPECT_NE(transport_->sent.at(0).url.find("prefix=p%2Fx%2F"), std::string::npos);
  EXPECT_EQ(transport_->sent.at(1).url.find("prefix="), std::string::npos);
}

TEST_F(S3ObjectStoreTest, ReadSendsARangeAndStreamsTheBody) {
  auto store = Make({.bucket = "bkt", .prefix = "", .endpoint = "http://h:1",
                     .region = "us-east-1", .path_style = true, .credentials = {}});
  ASSERT_NE(store, nullptr);
  transport_->script.push_back({.status = 206, .headers = {}, .body = "bcd"});
  CollectingSink sink;
  ASSERT_TRUE(store->Read("k", {.offset = 1, .length = 3}, sink).ok());
  EXPECT_EQ(sink.data(), "bcd");
  EXPECT_EQ(transport_->SentHeader(0, "range"), "bytes=1-3");
  transport_->script.push_back({.status = 404, .headers = {},
                                .body = "<Error><Code>NoSuchKey</Code></Error>"});
  EXPECT_EQ(store->Read("k", {.offset = 5, .length = 0}, sink).code(), StatusCode::kNotFound);
  EXPECT_EQ(transport_->SentHeader(1, "range"), "bytes=5-");
}

TEST_F(S3ObjectStoreTest, RejectsBadConfig) {
  S3Config bad{.bucket = "Bad_Bucket", .prefix = "", .endpoint = "", .region = "us-east-1",
               .path_style = false, .credentials = {}};
  EXPECT_EQ(S3ObjectStore::Create(bad, transport_, clock_).status().code(),
            StatusCode::kInvalidArgument);
  bad.bucket = "good";
  bad.endpoint = "ftp://h";
  EXPECT_EQ(S3ObjectStore::Create(bad, transport_, clock_).status().code(),
            StatusCode::kInvalidArgument);
  bad.endpoint = "http://h/path";
  EXPECT_EQ(S3ObjectStore::Create(bad, transport_, clock_).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kb::uploader
