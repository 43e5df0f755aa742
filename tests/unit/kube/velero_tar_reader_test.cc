#include "kube/velero_tar_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "kube/velero_tar.h"
#include "tests/support/test_tarballs.h"

namespace kb::kube {
namespace {

using ::kb::testing::MakeTar;
using ::kb::testing::TarFile;
using ::kb::testing::TarFileDeclaringSize;
using ::kb::testing::TarSpecial;
using ::kb::testing::MakeTarball;
using ::kb::testing::TestTarEntry;
using ::kb::testing::TestTarFormat;
using ::kb::testing::TestTarType;
using ::kb::testing::TruncateGzip;
using ::testing::HasSubstr;

constexpr char kWhat[] = "backups/b1/b1.tar.gz";

TarReadLimits Limits(std::uint64_t max_entry_bytes, std::size_t queue_bytes = 8u << 20) {
  TarReadLimits limits;
  limits.max_entry_bytes = max_entry_bytes;
  limits.queue_bytes = queue_bytes;
  return limits;
}

// Writes `bytes` into the sink `chunk` bytes at a time.
TarballSource BytesSource(std::string bytes, std::size_t chunk = 4096) {
  return [bytes = std::move(bytes), chunk](ChunkSink& sink) -> Status {
    for (std::size_t i = 0; i < bytes.size(); i += chunk) {
      KB_RETURN_IF_ERROR(sink.Write(AsBytes(std::string_view(bytes).substr(i, chunk))));
    }
    return OkStatus();
  };
}

StatusOr<std::vector<TarEntry>> ReadAll(std::string tarball, TarReadLimits limits = {}) {
  std::vector<TarEntry> entries;
  Status st = ReadVeleroTarball(BytesSource(std::move(tarball)), kWhat, limits,
                                [&](TarEntry&& e) {
                                  entries.push_back(std::move(e));
                                  return OkStatus();
                                });
  if (!st.ok()) return st;
  return entries;
}

// Reading `tarball` fails with kDataLoss naming the tarball and `needle`.
void ExpectDataLoss(std::string tarball, std::string_view needle, TarReadLimits limits = {}) {
  StatusOr<std::vector<TarEntry>> got = ReadAll(std::move(tarball), limits);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status().ToString();
  EXPECT_THAT(got.status().message(), HasSubstr(kWhat));
  EXPECT_THAT(got.status().message(), HasSubstr(needle));
}

std::string Paths(std::vector<TarEntry> const& entries) {
  std::string out;
  for (TarEntry const& e : entries) out += e.path + "\n";
  return out;
}

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string GzipOrDie(std::string_view data) { return Gzip(data).value(); }

TEST(VeleroTarReader, ReadsVeleroLayoutInOrder) {
  std::vector<TestTarEntry> in = {
      TarFile("metadata/version", "1.1.0\n"),
      TarFile("resources/namespaces/cluster/app.json", R"({"kind":"Namespace"})"),
      TarFile("resources/namespaces/v1-preferredversion/cluster/app.json",
              R"({"kind":"Namespace"})"),
      TarFile("resources/deployments.apps/namespaces/app/web.json", "{\"a\":1}"),
      TarFile("resources/deployments.apps/v1-preferredversion/namespaces/app/web.json",
              "{\"a\":1}"),
      TarFile("resources/configmaps/namespaces/app/empty.json", ""),
  };
  StatusOr<std::vector<TarEntry>> got = ReadAll(MakeTarball(in));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ((*got)[i].path, in[i].path);
    EXPECT_EQ((*got)[i].content, in[i].content);
  }
}

TEST(VeleroTarReader, ReadsLongPathWithPax) {
  std::string path = "resources/foos.example.com/namespaces/ns/" + std::string(200, 'n') + ".json";
  std::string tar = MakeTar({TarFile(path, "{}")});
  ASSERT_NE(tar.find("path="), std::string::npos);  // really a PAX record
  StatusOr<std::vector<TarEntry>> got = ReadAll(GzipOrDie(tar));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), path + "\n");
}

TEST(VeleroTarReader, ReadsLongPathWithGnuLongName) {
  std::string path = "resources/foos.example.com/namespaces/ns/" + std::string(200, 'g') + ".json";
  std::string tar = MakeTar({TarFile(path, "{}")}, TestTarFormat::kGnu);
  ASSERT_NE(tar.find("././@LongLink"), std::string::npos);
  StatusOr<std::vector<TarEntry>> got = ReadAll(GzipOrDie(tar));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), path + "\n");
}

TEST(VeleroTarReader, ReadsUtf8PathInCLocale) {  // a ClusterRole may be named "système"
  std::string path = "resources/clusterroles.rbac.authorization.k8s.io/cluster/syst\xc3\xa8me.json";
  StatusOr<std::vector<TarEntry>> got = ReadAll(MakeTarball({TarFile(path, "{}")}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), path + "\n");
}

TEST(VeleroTarReader, SkipsDirectoryEntries) {
  StatusOr<std::vector<TarEntry>> got = ReadAll(MakeTarball({
      TarSpecial("resources/", TestTarType::kDirectory),
      TarFile("resources/pods/cluster/x.json", "{}"),
  }));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), "resources/pods/cluster/x.json\n");
}

TEST(VeleroTarReader, ReadsMultiMemberGzip) {
  std::string tar = MakeTar({TarFile("a", "1"), TarFile("b", "22")});
  std::string gz = GzipOrDie(tar.substr(0, 700)) + GzipOrDie(tar.substr(700, 900)) +
                   GzipOrDie(tar.substr(1600));
  StatusOr<std::vector<TarEntry>> got = ReadAll(gz);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), "a\nb\n");
  EXPECT_EQ((*got)[1].content, "22");
}

TEST(VeleroTarReader, AcceptsZeroPaddingAfterEndOfArchive) {  // GNU tar pads to 10 KiB
  std::string tar = MakeTar({TarFile("a", "1")});
  StatusOr<std::vector<TarEntry>> got = ReadAll(GzipOrDie(tar + std::string(10240, '\0')));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Paths(*got), "a\n");
}

TEST(VeleroTarReader, RefusesDataAfterEndOfArchive) {
  std::string tar = MakeTar({TarFile("a", "1")});
  ExpectDataLoss(GzipOrDie(tar + MakeTar({TarFile("hidden", "2")})),
                 "after the tar end-of-archive");
  ExpectDataLoss(GzipOrDie(tar + std::string(200000, '\0') + "x"), "after the tar end-of-archive");
}

TEST(VeleroTarReader, RefusesBytesAfterGzipStream) {
  ExpectDataLoss(MakeTarball({TarFile("a", "1")}) + "junk", "4 bytes after the end");
}

TEST(VeleroTarReader, RefusesMissingEndOfArchive) {
  std::string tar = MakeTar({TarFile("a", "1")});
  ExpectDataLoss(GzipOrDie(tar.substr(0, tar.size() - 1024)), "no end-of-archive");
  ExpectDataLoss(GzipOrDie(tar.substr(0, tar.size() - 1024 - 500)), "Truncated");  // in padding
}

TEST(VeleroTarReader, RefusesTarCutMidEntry) {
  std::string tar = MakeTar({TarFile("a", std::string(3000, 'x'))});
  for (std::size_t keep : {100, 512, 1024, 2000, 3584}) {
    SCOPED_TRACE(keep);
    ExpectDataLoss(GzipOrDie(tar.substr(0, keep)), "");
  }
}

TEST(VeleroTarReader, RefusesAbsolutePath) {
  ExpectDataLoss(MakeTarball({TarFile("/etc/cron.d/x", "1")}), "absolute path");
}

TEST(VeleroTarReader, RefusesDotDotComponent) {
  for (std::string path : {"../x", "resources/../../x", "a/..", ".."}) {
    SCOPED_TRACE(path);
    ExpectDataLoss(MakeTarball({TarFile(path, "1")}), "\"..\" in path");
  }
  EXPECT_TRUE(ReadAll(MakeTarball({TarFile("a/..b/c..", "1")})).ok());
}

TEST(VeleroTarReader, RefusesSymlink) {
  ExpectDataLoss(MakeTarball({TarSpecial("l", TestTarType::kSymlink, "/")}),
                 "symbolic link");
}

TEST(VeleroTarReader, RefusesHardlink) {
  ExpectDataLoss(MakeTarball({TarFile("a", "1"),
                              TarSpecial("h", TestTarType::kHardlink, "a")}),
                 "hard link");
}

TEST(VeleroTarReader, RefusesCharDevice) {
  ExpectDataLoss(MakeTarball({TarSpecial("null", TestTarType::kCharDevice)}),
                 "character device");
}

TEST(VeleroTarReader, RefusesFifo) {
  ExpectDataLoss(MakeTarball({TarSpecial("p", TestTarType::kFifo)}), "fifo");
}

TEST(VeleroTarReader, RefusesEntryOverLimit) {
  std::string tarball = MakeTarball({TarFile("big", std::string(1001, 'x'))});
  ExpectDataLoss(tarball, "1001 bytes, over the limit of 1000", Limits(1000));
  EXPECT_TRUE(ReadAll(tarball, Limits(1001)).ok());
}

TEST(VeleroTarReader, RefusesDeclaredSizeSmallerThanData) {
  // The rest of the data is read as the next header: its checksum fails.
  ExpectDataLoss(MakeTarball({TarFileDeclaringSize("a", std::string(2000, 'x'), 100),
                              TarFile("b", "1")}),
                 "bad tar header");
}

TEST(VeleroTarReader, RefusesDeclaredSizeLargerThanData) {
  ExpectDataLoss(MakeTarball({TarFileDeclaringSize("a", "short", 5000)}), "\"a\"");
}

TEST(VeleroTarReader, ReadsCraftedHeaderWithTrueSize) {  // the crafted header itself is valid
  StatusOr<std::vector<TarEntry>> got =
      ReadAll(MakeTarball({TarFileDeclaringSize("a", "hello", 5)}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].content, "hello");
}

TEST(VeleroTarReader, RefusesTruncatedGzip) {
  std::string gz = MakeTarball({TarFile("metadata/version", "1.1.0\n"),
                                TarFile("b", RandomBytes(300000, 1)), TarFile("c", "{}")});
  for (std::size_t keep : {std::size_t{1}, std::size_t{9}, std::size_t{10}, std::size_t{30},
                           gz.size() / 2, gz.size() - 9, gz.size() - 8, gz.size() - 1}) {
    SCOPED_TRACE(keep);
    ExpectDataLoss(TruncateGzip(gz, keep), "gzip");
  }
}

TEST(VeleroTarReader, RefusesGarbage) {
  ExpectDataLoss(RandomBytes(100000, 2), "not a gzip stream");
  ExpectDataLoss(GzipOrDie(RandomBytes(100000, 3)), "");  // gzip, but not a tar
  std::string gz = MakeTarball({TarFile("a", "1")});
  ExpectDataLoss("\x1f\x8b" + RandomBytes(5000, 4), "");
  ExpectDataLoss(gz.substr(0, 20) + RandomBytes(5000, 5), "");
}

TEST(VeleroTarReader, RefusesEmptyInput) {
  ExpectDataLoss("", "");
  ExpectDataLoss(GzipOrDie(""), "");
}

TEST(VeleroTarReader, OnEntryErrorStopsTheDownload) {
  std::string gz = MakeTarball({TarFile("a", RandomBytes(2 << 20, 6)),
                                TarFile("b", RandomBytes(2 << 20, 7))});
  std::atomic<bool> source_returned = false;
  Status write_error;
  std::size_t written = 0;
  TarballSource source = [&](ChunkSink& sink) -> Status {
    for (; written < gz.size(); written += 16384) {
      write_error = sink.Write(AsBytes(std::string_view(gz).substr(written, 16384)));
      if (!write_error.ok()) break;
    }
    source_returned = true;
    return write_error;
  };
  int calls = 0;
  Status st = ReadVeleroTarball(source, kWhat, Limits(32 << 20, 64 << 10), [&](TarEntry&&) {
    ++calls;
    return AbortedError("restore stopped");
  });
  EXPECT_EQ(st, AbortedError("restore stopped"));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(source_returned);  // joined before returning
  EXPECT_EQ(write_error.code(), StatusCode::kCancelled);
  EXPECT_LT(written, gz.size());
}

TEST(VeleroTarReader, SourceErrorIsReturnedAsIs) {
  std::string gz = MakeTarball({TarFile("a", RandomBytes(100000, 8))});
  for (std::size_t sent : {std::size_t{0}, std::size_t{5}, gz.size() / 2, gz.size()}) {
    SCOPED_TRACE(sent);
    TarballSource source = [&](ChunkSink& sink) -> Status {
      KB_RETURN_IF_ERROR(sink.Write(AsBytes(std::string_view(gz).substr(0, sent))));
      return UnavailableError("GET b1.tar.gz: connection reset");
    };
    Status st = ReadVeleroTarball(source, kWhat, {}, [](TarEntry&&) { return OkStatus(); });
    EXPECT_EQ(st, UnavailableError("GET b1.tar.gz: connection reset"));
  }
}

TEST(VeleroTarReader, StreamsLargeTarballThroughSmallQueue) {
  constexpr int kEntries = 500;
  constexpr std::size_t kEntryBytes = 100000;  // 50 MB in all
  auto content = [](int i) {
    std::string s = RandomBytes(kEntryBytes / 4, 100 + i);
    for (char& c : s) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 16);
    return s + s + s + s;
  };
  std::vector<TestTarEntry> in;
  for (int i = 0; i < kEntries; ++i) {
    in.push_back(TarFile(fmt::format("resources/pods/namespaces/ns/p{}.json", i), content(i)));
  }
  std::string gz = MakeTarball(in);
  in.clear();
  TarballSource source = [&](ChunkSink& sink) -> Status {  // chunks of 1 to 7919 bytes
    for (std::size_t i = 0, n = 1; i < gz.size(); i += n, n = n * 31 % 7919 + 1) {
      KB_RETURN_IF_ERROR(sink.Write(AsBytes(std::string_view(gz).substr(i, n))));
    }
    return OkStatus();
  };
  int next = 0;
  Status st = ReadVeleroTarball(source, kWhat, Limits(32 << 20, 64 << 10), [&](TarEntry&& e) {
    EXPECT_EQ(e.path, fmt::format("resources/pods/namespaces/ns/p{}.json", next));
    if (e.content != content(next)) return InternalError(fmt::format("entry {} differs", next));
    ++next;
    return OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(next, kEntries);
}

TEST(ParseItemPath, ClassicNamespaced) {
  std::optional<ItemPath> p = ParseItemPath("resources/deployments.apps/namespaces/app/web.json");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->group_resource, "deployments.apps");
  EXPECT_EQ(p->version_dir, "");
  EXPECT_EQ(p->namespace_name, "app");
  EXPECT_EQ(p->name, "web");
  EXPECT_FALSE(p->cluster_scoped);
}

TEST(ParseItemPath, ClassicCluster) {
  std::optional<ItemPath> p = ParseItemPath("resources/namespaces/cluster/app.json");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->group_resource, "namespaces");
  EXPECT_EQ(p->version_dir, "");
  EXPECT_EQ(p->namespace_name, "");
  EXPECT_EQ(p->name, "app");
  EXPECT_TRUE(p->cluster_scoped);
}

TEST(ParseItemPath, PreferredVersion) {
  std::optional<ItemPath> p =
      ParseItemPath("resources/configmaps/v1-preferredversion/namespaces/app/cfg.json");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->group_resource, "configmaps");
  EXPECT_EQ(p->version_dir, "v1-preferredversion");
  EXPECT_EQ(p->namespace_name, "app");
  EXPECT_EQ(p->name, "cfg");
  std::optional<ItemPath> c =
      ParseItemPath("resources/persistentvolumes/v1-preferredversion/cluster/pvc-1.json");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->version_dir, "v1-preferredversion");
  EXPECT_EQ(c->name, "pvc-1");
  EXPECT_TRUE(c->cluster_scoped);
}

TEST(ParseItemPath, PlainVersionDir) {
  std::optional<ItemPath> p = ParseItemPath(
      "resources/horizontalpodautoscalers.autoscaling/v2beta1/namespaces/app/h.json");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->group_resource, "horizontalpodautoscalers.autoscaling");
  EXPECT_EQ(p->version_dir, "v2beta1");
  EXPECT_EQ(p->namespace_name, "app");
  EXPECT_EQ(p->name, "h");
}

TEST(ParseItemPath, NamesWithDotsAndNamespaceNamedCluster) {
  std::optional<ItemPath> p = ParseItemPath("resources/pods/namespaces/cluster/a.b.json.json");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->namespace_name, "cluster");
  EXPECT_EQ(p->name, "a.b.json");
  EXPECT_FALSE(p->cluster_scoped);
}

TEST(ParseItemPath, RejectsOtherShapes) {
  for (std::string_view path : {
           "", "metadata/version", "resources", "resources/pods", "resources/pods/cluster",
           "resources/pods/cluster/x", "resources/pods/cluster/x.yaml",  // not .json
           "resources/pods/cluster/.json",          // empty name
           "resources/pods/namespaces/x.json",      // too few segments
           "resources/pods/namespaces//x.json",     // empty namespace
           "resources//cluster/x.json",             // empty group-resource
           "resources/pods/v1/x/y.json",            // neither cluster nor namespaces
           "resources/pods/v1/namespaces/ns/a/x.json",  // too many segments
           "resources/pods/v1/cluster/ns/x.json",   // cluster with a namespace
           "resources/pods/cluster/cluster/x.json",  // version dir "cluster"
           "resources/pods/namespaces/namespaces/ns/x.json",
           "resources/pods/-preferredversion/cluster/x.json",
           "resources/pods/namespaces/../x.json", "resources/pods/cluster/x.json/",
           "/resources/pods/cluster/x.json", "other/pods/cluster/x.json",
       }) {
    EXPECT_FALSE(ParseItemPath(path).has_value()) << path;
  }
}

}  // namespace
}  // namespace kb::kube
