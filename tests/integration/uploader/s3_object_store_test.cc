// S3ObjectStore against real MinIO (tests/env/up.sh): the conformance suites over http and over
// https with the test CA, then bad input: TLS without the CA, a wrong secret, a missing bucket,
// an unreachable endpoint, plus the rate limit, part checksums and the credentials file chain.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "agent/base/crypto.h"
#include "agent/base/http_client.h"
#include "tests/support/object_store_conformance.h"
#include "tests/support/test_env.h"
#include "uploader/file_range_hash.h"
#include "uploader/location.h"
#include "uploader/multipart_uploader.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
using uploader::AwsCredentials;
using uploader::LocationOptions;
using uploader::ObjectStore;
using uploader::OpenLocation;

// KB_TEST_S3_<what> for the plain MinIO, KB_TEST_S3TLS_<what> for the TLS one.
std::string S3Env(bool tls, std::string const& what) {
  return RequireEnv(((tls ? "KB_TEST_S3TLS_" : "KB_TEST_S3_") + what).c_str());
}

AwsCredentials TestCredentials(bool tls = false, std::string secret = "") {
  AwsCredentials c;
  c.access_key_id = S3Env(tls, "ACCESS_KEY");
  c.secret_access_key = Secret<std::string>(secret.empty() ? S3Env(tls, "SECRET_KEY") : secret);
  c.source = "test";
  return c;
}

// s3://BUCKET/PREFIX?endpoint=…&region=… for the plain or the TLS MinIO.
std::string Url(bool tls, std::string const& prefix, std::string bucket = "") {
  if (bucket.empty()) bucket = S3Env(tls, "BUCKET");
  std::string url = "s3://" + bucket + "/" + prefix + "?endpoint=" + S3Env(tls, "ENDPOINT") +
                    "&region=" + S3Env(tls, "REGION");
  if (tls) url += "&ca_file=" + RequireEnv("KB_TEST_S3TLS_CA");
  return url;
}

std::string UniquePrefix(std::string const& what) {
  static std::atomic<int> counter{0};
  return fmt::format("kbtest-{}-{}-{}", ::getpid(), counter.fetch_add(1), what);
}

ConformanceBackend MinioBackend(bool tls) {
  return {tls ? "MinIOTls" : "MinIO",
          [tls](std::string const& id, int page) -> StatusOr<std::unique_ptr<ObjectStore>> {
            LocationOptions o;
            o.credentials = TestCredentials(tls);
            o.list_page_size = page;
            return OpenLocation(Url(tls, UniquePrefix(id)), o);
          }};
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformance,
                         ::testing::Values(MinioBackend(false), MinioBackend(true)),
                         ConformanceName);
INSTANTIATE_TEST_SUITE_P(S3, UploadEngineConformance,
                         ::testing::Values(MinioBackend(false), MinioBackend(true)),
                         UploadEngineConformanceName);

std::unique_ptr<ObjectStore> Open(std::string const& url, LocationOptions o = {}) {
  if (!o.credentials && !o.env) o.credentials = TestCredentials();
  auto store = OpenLocation(url, o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(S3ObjectStore, TlsWithoutTheCaFailsWithAClearError) {
  std::string url = Url(true, UniquePrefix("noca"));
  url = url.substr(0, url.find("&ca_file="));
  LocationOptions o;
  o.credentials = TestCredentials(true);
  auto store = Open(url, o);
  ASSERT_NE(store, nullptr);
  Status st = store->Put("x", "y", {});
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_NE(st.message().find("ca_file"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(UrlHostPort(RequireEnv("KB_TEST_S3TLS_ENDPOINT"))),
            std::string::npos)
      << st.message();
}

TEST(S3ObjectStore, WrongSecretIsUnauthenticatedNamingBucketAndEndpoint) {
  LocationOptions o;
  o.credentials = TestCredentials(false, "definitely-not-the-secret");
  auto store = Open(Url(false, UniquePrefix("badsecret")), o);
  ASSERT_NE(store, nullptr);
  Status st = store->Put("x", "y", {});
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_NE(st.message().find(RequireEnv("KB_TEST_S3_BUCKET")), std::string::npos);
  EXPECT_NE(st.message().find(RequireEnv("KB_TEST_S3_ENDPOINT")), std::string::npos);
  EXPECT_NE(st.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("definitely-not-the-secret"), std::string::npos);
}

TEST(S3ObjectStore, MissingBucketIsNotFoundWithAClearMessage) {
  std::string bucket = fmt::format("kb-missing-{}", ::getpid());
  auto store = Open(Url(false, "p", bucket));
  ASSERT_NE(store, nullptr);
  Status st = store->Put("x", "y", {});
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("bucket " + bucket + " does not exist at " +
                              RequireEnv("KB_TEST_S3_ENDPOINT")),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("--location"), std::string::npos);
  auto listed = store->List("", "/", "");
  EXPECT_EQ(listed.status().code(), StatusCode::kNotFound);
}

TEST(S3ObjectStore, UnreachableEndpointIsUnavailableAfterBoundedRetries) {
  // A port nobody listens on: bind, read the port, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  std::string endpoint = fmt::format("http://127.0.0.1:{}", port);
  auto store = Open("s3://bucket/p?endpoint=" + endpoint);
  ASSERT_NE(store, nullptr);
  TempDir dir;
  fs::path file = fs::path(dir.path()) / "f";
  std::ofstream(file) << "data";
  FakeClock clock;
  uploader::UploadOptions o;
  o.clock = &clock;
  o.retry.max_attempts = 3;
  auto r = uploader::UploadFile(*store, "k", file, o);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find(fmt::format("127.0.0.1:{}", port)), std::string::npos);
  EXPECT_NE(r.status().message().find("gave up after 3 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_GT(clock.slept().count(), 0);  // backed off between attempts
}

TEST(S3ObjectStore, RateLimitSlowsAnUpload) {
  auto store = Open(Url(false, UniquePrefix("rate")));
  ASSERT_NE(store, nullptr);
  TempDir dir;
  fs::path file = fs::path(dir.path()) / "f";
  std::ofstream(file) << std::string(3 << 20, 'x');
  auto start = SystemClock::Instance().Monotonic();
  Status st = store->PutFile("slow", {.path = file, .offset = 0, .length = 3 << 20,
                                      .sha256_hex = {}, .max_send_bytes_per_second = 1 << 20},
                             {});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GE(SystemClock::Instance().Monotonic() - start, std::chrono::milliseconds(1500));
  IgnoreError(store->Delete("slow"));
}

TEST(S3ObjectStore, ListPartsReportsThePartChecksum) {
  auto store = Open(Url(false, UniquePrefix("checksum")));
  ASSERT_NE(store, nullptr);
  TempDir dir;
  fs::path file = fs::path(dir.path()) / "f";
  std::ofstream(file) << std::string(1000, 'z');
  auto upload = store->BeginUpload("k", {});
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  auto part = (*upload)->UploadPart(1, {.path = file, .offset = 0, .length = 1000,
                                        .sha256_hex = {}});
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  auto parts = (*upload)->ListParts();
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].sha256_hex, Sha256Hex(std::string(1000, 'z')));
  EXPECT_TRUE((*upload)->Abort().ok());
}

TEST(S3ObjectStore, KeysWithSpecialCharactersRoundTrip) {
  auto store = Open(Url(false, UniquePrefix("chars")));
  ASSERT_NE(store, nullptr);
  std::string key = "dir with space/a+b=c&d%20é~'(x).bin";
  ASSERT_TRUE(store->Put(key, "v", {}).ok());
  auto info = store->Stat(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto page = store->List("dir with space/", "/", "");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, key);
  EXPECT_TRUE(store->Delete(key).ok());
}

TEST(S3ObjectStore, DefaultChainReadsTheSharedCredentialsFile) {
  TempDir dir;
  fs::path creds = fs::path(dir.path()) / "credentials";
  std::ofstream(creds) << "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n"
                       << "[kbackup]\naws_access_key_id = " << RequireEnv("KB_TEST_S3_ACCESS_KEY")
                       << "\naws_secret_access_key = " << RequireEnv("KB_TEST_S3_SECRET_KEY")
                       << "\n";
  LocationOptions o;
  o.env = [&](std::string const& name) -> std::optional<std::string> {
    if (name == "AWS_SHARED_CREDENTIALS_FILE") return creds.string();
    if (name == "AWS_PROFILE") return "kbackup";
    return std::nullopt;
  };
  auto store = Open(Url(false, UniquePrefix("credfile")), o);
  ASSERT_NE(store, nullptr);
  Status st = store->Put("x", "y", {});
  EXPECT_TRUE(st.ok()) << st.ToString();
  IgnoreError(store->Delete("x"));
}

}  // namespace
}  // namespace kb::testing
