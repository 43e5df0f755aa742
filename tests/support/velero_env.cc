#include "tests/support/velero_env.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "agent/base/chunk_sink.h"
#include "kube/velero_tar.h"
#include "uploader/download.h"
#include "uploader/location.h"

namespace kb::testing {

MinioLocation::MinioLocation(std::string const& what) {
  static std::atomic<int> counter{0};
  std::string prefix = what + "-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter.fetch_add(1)) + "-" +
                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  url = "s3://" + RequireEnv("KB_TEST_S3_BUCKET") + "/" + prefix +
        "?endpoint=" + RequireEnv("KB_TEST_S3_ENDPOINT") + "&region=us-east-1&path_style=true";
  env = {"AWS_ACCESS_KEY_ID=" + RequireEnv("KB_TEST_S3_ACCESS_KEY"),
         "AWS_SECRET_ACCESS_KEY=" + RequireEnv("KB_TEST_S3_SECRET_KEY")};
  store = OpenMinioLocation(url);
}

std::unique_ptr<uploader::ObjectStore> OpenMinioLocation(std::string const& url) {
  uploader::LocationOptions lo;
  uploader::AwsCredentials creds;
  creds.access_key_id = RequireEnv("KB_TEST_S3_ACCESS_KEY");
  creds.secret_access_key = Secret<std::string>(RequireEnv("KB_TEST_S3_SECRET_KEY"));
  creds.source = "test";
  lo.credentials = creds;
  auto s = uploader::OpenLocation(url, lo);
  EXPECT_TRUE(s.ok()) << url << ": " << s.status().message();
  return s.ok() ? std::move(*s) : nullptr;
}

std::string MinioLocation::Read(std::string const& key) const {
  return ReadObjectForTest(*store, key);
}

std::string ReadObjectForTest(uploader::ObjectStore& store, std::string const& key) {
  auto text = uploader::ReadObjectToString(store, key);
  EXPECT_TRUE(text.ok()) << store.Describe() << " " << key << ": " << text.status().message();
  return text.ok() ? *text : "";
}

std::vector<std::string> MinioLocation::Keys(std::string const& prefix) const {
  std::vector<std::string> keys;
  std::string token;
  do {
    auto page = store->List(prefix, "", token);
    EXPECT_TRUE(page.ok()) << page.status().message();
    if (!page.ok()) break;
    for (auto const& o : page->objects) keys.push_back(o.key);
    token = page->next_page_token;
  } while (!token.empty());
  return keys;
}

CommandResult Kubectl(std::string const& cluster, std::vector<std::string> const& args) {
  std::vector<std::string> argv{RequireEnv("KB_TEST_KUBECTL"), "--kubeconfig",
                                RequireEnv(("KB_TEST_KUBE_" + cluster + "_KUBECONFIG").c_str())};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::map<std::string, std::string> ReadTarball(std::string const& tar_gz) {
  std::map<std::string, std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar_gz.data(), tar_gz.size()), ARCHIVE_OK);
  struct archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    EXPECT_EQ(archive_entry_filetype(e), AE_IFREG) << path << " is not a regular file";
    EXPECT_EQ(archive_entry_perm(e), 0755) << path << " mode";
    EXPECT_FALSE(path.starts_with("/") || path.starts_with("./")) << path;
    std::string content;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) content.append(buf, static_cast<std::size_t>(n));
    EXPECT_TRUE(out.emplace(path, std::move(content)).second) << "duplicate entry " << path;
  }
  archive_read_free(a);
  return out;
}

std::string GunzipForTest(std::string const& gz) {
  auto r = kube::Gunzip(gz, "test");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : std::string();
}

}  // namespace kb::testing
