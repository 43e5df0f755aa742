// FileObjectStore: the conformance suites on a temp directory, plus file-specific behaviour.
#include "uploader/file_object_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/object_store_conformance.h"
#include "tests/support/test_env.h"

namespace kb::testing {
namespace {

namespace fs = std::filesystem;
using uploader::FileObjectStore;
using uploader::FileStoreOptions;
using uploader::ObjectStore;

ConformanceBackend FileBackend() {
  return {"File", [](std::string const& id, int page) -> StatusOr<std::unique_ptr<ObjectStore>> {
            static TempDir root;
            KB_ASSIGN_OR_RETURN(auto store,
                                FileObjectStore::Create(fs::path(root.path()) / id,
                                                        FileStoreOptions{.list_page_size = page}));
            return std::unique_ptr<ObjectStore>(std::move(store));
          }};
}

INSTANTIATE_TEST_SUITE_P(Uploader, ObjectStoreConformance, ::testing::Values(FileBackend()),
                         ConformanceName);
INSTANTIATE_TEST_SUITE_P(Uploader, UploadEngineConformance, ::testing::Values(FileBackend()),
                         UploadEngineConformanceName);

TEST(FileObjectStore, RejectsRelativeRoot) {
  EXPECT_EQ(FileObjectStore::Create("relative/dir").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FileObjectStore, RejectsKeysThatEscapeOrUseReservedNames) {
  TempDir dir;
  auto store = FileObjectStore::Create(dir.path());
  ASSERT_TRUE(store.ok());
  for (std::string key : {"", "/abs", "a/../b", "../x", "a//b", "a/", ".uploads/x", ".meta/y",
                          "./a"}) {
    Status st = (*store)->Put(key, "x", {});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(st.message().find((*store)->Describe()), std::string::npos) << st.message();
  }
  EXPECT_TRUE((*store)->Put(".hidden/ok", "x", {}).ok());  // only the two names are reserved
}

TEST(FileObjectStore, ReservedDirectoriesAreNeverListed) {
  TempDir dir;
  auto store = FileObjectStore::Create(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "v", {}).ok());
  auto upload = (*store)->BeginUpload("pending", {});
  ASSERT_TRUE(upload.ok());
  auto page = (*store)->List("", "", "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "k");
  EXPECT_TRUE(page->common_prefixes.empty());
}

TEST(FileObjectStore, FilePlacedByAnotherToolHasAnETagButNoMetadata) {
  TempDir dir;
  auto store = FileObjectStore::Create(dir.path());
  ASSERT_TRUE(store.ok());
  std::ofstream(fs::path(dir.path()) / "copied") << "data";
  auto info = (*store)->Stat("copied");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 4u);
  EXPECT_FALSE(info->etag.empty());
  EXPECT_TRUE(info->metadata.empty());
}

TEST(FileObjectStore, DeleteRemovesEmptyDirectories) {
  TempDir dir;
  auto store = FileObjectStore::Create(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("a/b/c", "v", {}).ok());
  ASSERT_TRUE((*store)->Delete("a/b/c").ok());
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "a"));
  EXPECT_TRUE(fs::exists(dir.path()));
}

// In-place multipart uploads (PutOptions::part_size): the parts land in one file, which
// Complete publishes without a copy.
class FileInPlaceUpload : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kPart = 5ull << 20;
  void SetUp() override {
    auto store = FileObjectStore::Create(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    data_.resize(2 * kPart + 777);
    std::uint64_t x = 88172645463325252ull;  // xorshift: incompressible, reproducible
    for (char& c : data_) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    source_ = fs::path(dir_.path()) / "source.bin";
    std::ofstream(source_, std::ios::binary) << data_;
  }
  uploader::PartSource Part(int n) const {
    std::uint64_t off = (n - 1) * kPart;
    return {.path = source_, .offset = off,
            .length = std::min<std::uint64_t>(kPart, data_.size() - off), .sha256_hex = {}};
  }
  static uploader::PutOptions Hinted() {
    uploader::PutOptions o;
    o.part_size = kPart;
    return o;
  }
  fs::path UploadDir(std::string const& id) const { return store_->UploadDir(id); }
  std::string ReadAll(std::string const& key) {
    std::ifstream in(fs::path(dir_.path()) / key, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The composite ETag the same parts get without the hint (each part in its own file).
  std::string EtagWithoutHint(std::vector<int> const& numbers) {
    auto upload = store_->BeginUpload("reference", {});
    EXPECT_TRUE(upload.ok());
    std::vector<uploader::PartInfo> parts;
    for (int n : numbers) parts.push_back(*(*upload)->UploadPart(n, Part(n)));
    auto etag = (*upload)->Complete(parts);
    EXPECT_TRUE(etag.ok()) << etag.status().ToString();
    return etag.ok() ? *etag : "";
  }

  TempDir dir_;
  std::unique_ptr<FileObjectStore> store_;
  std::string data_;
  fs::path source_;
};

TEST_F(FileInPlaceUpload, PartsInAnyOrderArePublishedAsTheObject) {
  auto upload = store_->BeginUpload("snap/object", Hinted());
  ASSERT_TRUE(upload.ok());
  std::vector<uploader::PartInfo> parts(3);
  for (int n : {3, 1, 2}) {
    auto p = (*upload)->UploadPart(n, Part(n));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    parts[n - 1] = *p;
  }
  fs::path dir = UploadDir((*upload)->upload_id());
  EXPECT_EQ(fs::file_size(dir / "data"), data_.size());
  EXPECT_FALSE(fs::exists(dir / "part-00001"));  // no part files of their own
  auto listed = (*upload)->ListParts();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[2].size, 777u);
  auto etag = (*upload)->Complete(parts);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(ReadAll("snap/object"), data_);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(*etag, EtagWithoutHint({1, 2, 3}));
  EXPECT_EQ(store_->Stat("snap/object")->etag, *etag);
}

TEST_F(FileInPlaceUpload, ResumedUploadKnowsThePartSizeAndRewritesAPart) {
  std::string id;
  {
    auto upload = store_->BeginUpload("snap/resumed", Hinted());
    ASSERT_TRUE(upload.ok());
    id = (*upload)->upload_id();
    ASSERT_TRUE((*upload)->UploadPart(1, Part(1)).ok());
    ASSERT_TRUE((*upload)->UploadPart(2, Part(2)).ok());
  }
  auto upload = store_->ResumeUpload("snap/resumed", id);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  auto again = (*upload)->UploadPart(2, Part(2));  // sent twice: same place, same bytes
  ASSERT_TRUE(again.ok());
  auto last = (*upload)->UploadPart(3, Part(3));
  ASSERT_TRUE(last.ok());
  auto listed = (*upload)->ListParts();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  auto etag = (*upload)->Complete(*listed);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(ReadAll("snap/resumed"), data_);
}

TEST_F(FileInPlaceUpload, APartWhoseBytesAreCutShortNoLongerCounts) {
  auto upload = store_->BeginUpload("snap/cut", Hinted());
  ASSERT_TRUE(upload.ok());
  for (int n : {1, 2, 3}) ASSERT_TRUE((*upload)->UploadPart(n, Part(n)).ok());
  fs::path data = UploadDir((*upload)->upload_id()) / "data";
  fs::resize_file(data, 2 * kPart - 1);  // as if the disk lost the end of part 2
  auto listed = (*upload)->ListParts();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].number, 1);
}

TEST_F(FileInPlaceUpload, PartsThatDoNotFitAreCopiedTogether) {
  // Parts 1 and 3 only: not 1..N, so Complete concatenates (S3 allows gaps in part numbers).
  auto upload = store_->BeginUpload("snap/gap", Hinted());
  ASSERT_TRUE(upload.ok());
  auto p1 = (*upload)->UploadPart(1, Part(1));
  auto p3 = (*upload)->UploadPart(3, Part(3));
  ASSERT_TRUE(p1.ok() && p3.ok());
  auto etag = (*upload)->Complete({*p1, *p3});
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(ReadAll("snap/gap"), data_.substr(0, kPart) + data_.substr(2 * kPart));
  EXPECT_EQ(*etag, EtagWithoutHint({1, 3}));

  // A part larger than the declared size goes to its own file and is concatenated too.
  auto big = store_->BeginUpload("snap/big", Hinted());
  ASSERT_TRUE(big.ok());
  auto b1 = (*big)->UploadPart(1, {.path = source_, .offset = 0, .length = kPart + 5,
                                   .sha256_hex = {}});
  auto b2 = (*big)->UploadPart(2, {.path = source_, .offset = kPart + 5,
                                   .length = data_.size() - kPart - 5, .sha256_hex = {}});
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_TRUE(fs::exists(UploadDir((*big)->upload_id()) / "part-00001"));
  auto big_etag = (*big)->Complete({*b1, *b2});
  ASSERT_TRUE(big_etag.ok()) << big_etag.status().ToString();
  EXPECT_EQ(ReadAll("snap/big"), data_);
}

}  // namespace
}  // namespace kb::testing
