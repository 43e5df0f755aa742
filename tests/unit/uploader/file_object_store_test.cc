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

}  // namespace
}  // namespace kb::testing
