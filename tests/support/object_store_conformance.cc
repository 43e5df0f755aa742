// ObjectStoreConformance: put/stat/read/list/delete and raw multipart on every backend.
#include "tests/support/object_store_conformance.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <thread>

#include "agent/base/crypto.h"
#include "uploader/file_range_hash.h"

namespace kb::testing {

namespace fs = std::filesystem;
using uploader::ByteRange;
using uploader::ListPage;
using uploader::PartInfo;
using uploader::PartSource;
using uploader::PutOptions;

std::string ConformanceName(::testing::TestParamInfo<ConformanceBackend> const& info) {
  return info.param.name;
}

void ConformanceTestBase::SetUp() {
  auto const* t = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string id = std::string(t->test_suite_name()) + "-" + t->name();
  std::replace_if(id.begin(), id.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '-');
  auto store = GetParam().make(id, /*list_page_size=*/2);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(*store);
}

void ConformanceTestBase::TearDown() {
  if (store_ == nullptr) return;
  if (auto uploads = store_->ListUploads(""); uploads.ok()) {
    for (auto const& u : *uploads) {
      if (auto up = store_->ResumeUpload(u.key, u.upload_id); up.ok()) IgnoreError((*up)->Abort());
    }
  }
  std::string token;
  std::vector<std::string> keys;
  do {
    auto page = store_->List("", "", token);
    if (!page.ok()) break;
    for (auto const& o : page->objects) keys.push_back(o.key);
    token = page->next_page_token;
  } while (!token.empty());
  for (auto const& k : keys) IgnoreError(store_->Delete(k));
}

fs::path ConformanceTestBase::MakeFile(std::string const& name, std::uint64_t size,
                                       std::uint64_t seed) {
  fs::path path = fs::path(local_.path()) / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 rng(seed);
  std::string buf;
  for (std::uint64_t done = 0; done < size;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, size - done));
    buf.resize(n);
    for (std::size_t i = 0; i < n; i += 8) {
      std::uint64_t r = rng();
      std::memcpy(buf.data() + i, &r, std::min<std::size_t>(8, n - i));
    }
    out.write(buf.data(), static_cast<std::streamsize>(n));
    done += n;
  }
  return path;
}

std::string ConformanceTestBase::ReadObject(std::string const& key) {
  CollectingSink sink;
  Status st = store_->Read(key, {}, sink);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return sink.data();
}

uploader::UploadOptions ConformanceTestBase::EngineOptions() {
  uploader::UploadOptions o;
  o.part_size = kPart;
  o.parallelism = 3;
  o.clock = &clock_;
  o.retry.max_attempts = 4;
  o.backoff.seed = 7;
  return o;
}

std::string FileSha256(fs::path const& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  EXPECT_FALSE(ec) << path;
  auto d = uploader::HashFileRange(path, 0, size, false);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? d->sha256_hex : "";
}

namespace {

std::string Repeat(std::string const& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_P(ObjectStoreConformance, PutStatReadDelete) {
  PutOptions options;
  options.content_type = "application/json";
  options.metadata = {{"revision", "42"}, {"sha256", "abc"}};
  ASSERT_TRUE(store_->Put("a/b/c.json", "{\"x\":1}", options).ok());
  auto info = store_->Stat("a/b/c.json");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 7u);
  EXPECT_EQ(info->etag, HexEncode(HexDecode(info->etag)));  // hex, quotes stripped
  EXPECT_EQ(info->metadata["revision"], "42");
  EXPECT_EQ(info->metadata["sha256"], "abc");
  EXPECT_GT(info->last_modified.time_since_epoch().count(), 0);
  EXPECT_EQ(ReadObject("a/b/c.json"), "{\"x\":1}");
  // Replace, then delete twice (the second is OK too).
  ASSERT_TRUE(store_->Put("a/b/c.json", "new", {}).ok());
  EXPECT_EQ(ReadObject("a/b/c.json"), "new");
  EXPECT_TRUE(store_->Delete("a/b/c.json").ok());
  EXPECT_TRUE(store_->Delete("a/b/c.json").ok());
  EXPECT_EQ(store_->Stat("a/b/c.json").status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformance, MissingObjectIsNotFound) {
  CollectingSink sink;
  EXPECT_EQ(store_->Read("nope/x", {}, sink).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Stat("nope/x").status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformance, EmptyObject) {
  ASSERT_TRUE(store_->Put("empty", "", {}).ok());
  auto info = store_->Stat("empty");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(ReadObject("empty"), "");
}

TEST_P(ObjectStoreConformance, ReadRanges) {
  std::string data = Repeat("0123456789", 10);
  ASSERT_TRUE(store_->Put("r", data, {}).ok());
  auto read = [&](ByteRange r) {
    CollectingSink sink;
    Status st = store_->Read("r", r, sink);
    return st.ok() ? sink.data() : "ERR " + st.ToString();
  };
  EXPECT_EQ(read({10, 5}), "01234");
  EXPECT_EQ(read({95, 0}), "56789");          // to the end
  EXPECT_EQ(read({98, 10}), "89");            // clipped at the end
  EXPECT_EQ(read({0, 0}), data);              // whole object
  CollectingSink sink;
  EXPECT_EQ(store_->Read("r", {100, 0}, sink).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(store_->Read("r", {500, 10}, sink).code(), StatusCode::kOutOfRange);
}

TEST_P(ObjectStoreConformance, PutFileRange) {
  fs::path file = MakeFile("src", 300'000, 1);
  auto sha = uploader::HashFileRange(file, 1000, 200'000, false);
  ASSERT_TRUE(sha.ok());
  PartSource source{.path = file, .offset = 1000, .length = 200'000, .sha256_hex = sha->sha256_hex};
  ASSERT_TRUE(store_->PutFile("f/range", source, {}).ok());
  std::string got = ReadObject("f/range");
  EXPECT_EQ(got.size(), 200'000u);
  EXPECT_EQ(Sha256Hex(got), sha->sha256_hex);
  // A wrong checksum is refused, and nothing is stored.
  source.sha256_hex = std::string(64, '0');
  EXPECT_FALSE(store_->PutFile("f/bad", source, {}).ok());
  EXPECT_EQ(store_->Stat("f/bad").status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformance, ListPrefixDelimiterAndPaging) {
  for (std::string k : {"b/1", "b/2", "b/3", "b/sub/4", "b/sub/5", "b/tuv/6", "c/7", "b.txt"}) {
    ASSERT_TRUE(store_->Put(k, k, {}).ok()) << k;
  }
  // Without a delimiter: every key under "b/", in order, across pages of 2.
  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->List("b/", "", token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size(), 2u);
    for (auto const& o : page->objects) keys.push_back(o.key);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/2", "b/3", "b/sub/4", "b/sub/5", "b/tuv/6"}));
  EXPECT_GE(pages, 3);
  // With "/": objects directly under "b/" and the deeper levels folded.
  std::vector<std::string> objects, prefixes;
  token.clear();
  pages = 0;
  do {
    auto page = store_->List("b/", "/", token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (auto const& o : page->objects) objects.push_back(o.key);
    for (auto const& p : page->common_prefixes) prefixes.push_back(p);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(objects, (std::vector<std::string>{"b/1", "b/2", "b/3"}));
  EXPECT_EQ(prefixes, (std::vector<std::string>{"b/sub/", "b/tuv/"}));
  // A prefix that is not a directory: "b" matches "b.txt" and everything in "b/".
  auto top = store_->List("b", "/", "");
  ASSERT_TRUE(top.ok());
  std::vector<std::string> top_names;
  for (auto const& o : top->objects) top_names.push_back(o.key);
  for (auto const& p : top->common_prefixes) top_names.push_back(p);
  std::sort(top_names.begin(), top_names.end());
  EXPECT_EQ(top_names, (std::vector<std::string>{"b.txt", "b/"}));
  auto none = store_->List("zzz/", "/", "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->objects.empty());
  EXPECT_TRUE(none->next_page_token.empty());
}

TEST_P(ObjectStoreConformance, MultipartOutOfOrderAndParallel) {
  fs::path file = MakeFile("src", 2 * kPart + 1234, 2);
  auto upload = store_->BeginUpload("mp/object", PutOptions{.content_type = "application/zstd",
                                                            .metadata = {{"k", "v"}}});
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  std::vector<PartInfo> parts(3);
  std::vector<std::jthread> threads;
  for (int n : {3, 1, 2}) {  // last part first, the others concurrently
    threads.emplace_back([&, n] {
      std::uint64_t off = (n - 1) * kPart;
      std::uint64_t len = n == 3 ? 1234 : kPart;
      auto part = (*upload)->UploadPart(n, PartSource{.path = file, .offset = off, .length = len, .sha256_hex = {}});
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      EXPECT_EQ(part->number, n);
      EXPECT_EQ(part->size, len);
      EXPECT_FALSE(part->etag.empty());
      parts[n - 1] = *part;
    });
  }
  threads.clear();
  auto listed = (*upload)->ListParts();  // pages of 2: 3 parts need two pages
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*listed)[i].number, i + 1);
    EXPECT_EQ((*listed)[i].size, parts[i].size);
    EXPECT_EQ((*listed)[i].etag, parts[i].etag);
  }
  auto pending = store_->ListUploads("mp/");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].key, "mp/object");
  EXPECT_EQ((*pending)[0].upload_id, (*upload)->upload_id());
  auto etag = (*upload)->Complete(parts);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  // S3's composite ETag: MD5 of the parts' raw MD5s, "-" and the part count.
  std::string part_md5s;
  for (PartInfo const& p : parts) {
    auto d = uploader::HashFileRange(file, (p.number - 1) * kPart, p.size, /*with_md5=*/true);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    part_md5s += HexDecode(d->md5_hex);
  }
  Md5 composite;
  composite.Update(AsBytes(part_md5s));
  EXPECT_EQ(*etag, composite.FinalHex() + "-3");
  auto info = store_->Stat("mp/object");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 2 * kPart + 1234);
  EXPECT_EQ(info->etag, *etag);
  EXPECT_EQ(info->metadata["k"], "v");
  EXPECT_EQ(Sha256Hex(ReadObject("mp/object")), FileSha256(file));
  EXPECT_TRUE(store_->ListUploads("mp/")->empty());
}

TEST_P(ObjectStoreConformance, CompleteRejectsUnknownPart) {
  fs::path file = MakeFile("src", 1000, 3);
  auto upload = store_->BeginUpload("bad/parts", {});
  ASSERT_TRUE(upload.ok());
  auto part = (*upload)->UploadPart(1, PartSource{.path = file, .offset = 0, .length = 1000, .sha256_hex = {}});
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  PartInfo wrong = *part;
  wrong.etag = std::string(32, 'a');
  wrong.sha256_hex.clear();
  auto r = (*upload)->Complete({wrong});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_TRUE((*upload)->Abort().ok());
}

TEST_P(ObjectStoreConformance, AbortAndListUploads) {
  auto a = store_->BeginUpload("up/a", {});
  auto b = store_->BeginUpload("up/b", {});
  auto other = store_->BeginUpload("other/c", {});
  ASSERT_TRUE(a.ok() && b.ok() && other.ok());
  auto listed = store_->ListUploads("up/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  auto now = SystemClock::Instance().Now();  // the stores' own clocks are real
  for (auto const& u : *listed) {
    EXPECT_TRUE(u.key == "up/a" || u.key == "up/b") << u.key;
    EXPECT_LT(std::chrono::abs(now - u.initiated), std::chrono::minutes(5));
  }
  ASSERT_TRUE((*a)->Abort().ok());
  Status twice = (*a)->Abort();  // AWS: NoSuchUpload; MinIO: 204 again
  EXPECT_TRUE(twice.ok() || twice.code() == StatusCode::kNotFound) << twice.ToString();
  auto again = store_->ResumeUpload("up/a", (*a)->upload_id());
  if (again.ok()) {
    EXPECT_EQ((*again)->ListParts().status().code(), StatusCode::kNotFound);
  }
  listed = store_->ListUploads("up/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, "up/b");
  // Resuming by id works like the original handle.
  auto resumed = store_->ResumeUpload("up/b", (*b)->upload_id());
  ASSERT_TRUE(resumed.ok());
  auto parts = (*resumed)->ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_TRUE(parts->empty());
}

}  // namespace kb::testing
