// UploadEngineConformance: UploadFile (sizes, resume, source changes, lost Complete responses),
// PipelinedUploadSink and downloads, on every backend.
#include <fstream>

#include "agent/base/crypto.h"
#include "tests/support/counting_object_store.h"
#include "tests/support/object_store_conformance.h"
#include "uploader/download.h"
#include "uploader/pipelined_upload_sink.h"
#include "uploader/upload_journal.h"

namespace kb::testing {

namespace fs = std::filesystem;
using uploader::DefaultJournalPath;
using uploader::ReadJournal;
using uploader::UploadFile;
using uploader::UploadJournal;
using uploader::UploadResult;

std::string UploadEngineConformanceName(::testing::TestParamInfo<ConformanceBackend> const& info) {
  return info.param.name;
}

namespace {

// Runs UploadFile until `sent` parts went through, then "crashes" (a non-transient failure):
// the journal and the pending upload stay behind. Returns the journal.
UploadJournal UploadPartsThenStop(CountingObjectStore& store, std::string const& key,
                                  fs::path const& file, uploader::UploadOptions o, int sent) {
  o.parallelism = 1;
  store.FailUploadPartsAfter(sent, AbortedError("injected crash"));
  auto r = UploadFile(store, key, file, o);
  EXPECT_FALSE(r.ok());
  store.FailUploadPartsAfter(-1, OkStatus());
  auto j = ReadJournal(DefaultJournalPath(file));
  EXPECT_TRUE(j.ok() && j->has_value()) << j.status().ToString();
  return j.ok() && j->has_value() ? **j : UploadJournal{};
}

std::string Random(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

bool WaitFor(std::function<bool()> const& done) {
  for (int i = 0; i < 1000 && !done(); ++i) SystemClock::Instance().SleepFor(std::chrono::milliseconds(10));
  return done();
}

}  // namespace

TEST_P(UploadEngineConformance, UploadFileOfEverySize) {
  struct Case {
    std::uint64_t size;
    int parts;
    bool multipart;
  };
  for (Case c : {Case{0, 1, false}, Case{1000, 1, false}, Case{kPart, 1, true},
                 Case{4 * kPart + 12345, 5, true}}) {
    SCOPED_TRACE(c.size);
    fs::path file = MakeFile("f" + std::to_string(c.size), c.size, c.size);
    std::string key = "sizes/" + std::to_string(c.size);
    auto r = UploadFile(*store_, key, file, EngineOptions());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->bytes, c.size);
    EXPECT_EQ(r->parts_total, c.parts);
    EXPECT_EQ(r->parts_sent, c.parts);
    EXPECT_EQ(r->upload_id.empty(), !c.multipart);
    EXPECT_FALSE(r->etag.empty());
    auto info = store_->Stat(key);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, c.size);
    EXPECT_EQ(info->etag, r->etag);
    EXPECT_EQ(Sha256Hex(ReadObject(key)), FileSha256(file));
    EXPECT_FALSE(fs::exists(DefaultJournalPath(file)));
  }
}

TEST_P(UploadEngineConformance, ResumeSendsOnlyMissingParts) {
  fs::path file = MakeFile("snap.db.zst", 4 * kPart + 777, 11);  // 5 parts
  CountingObjectStore store(*store_);
  UploadJournal journal = UploadPartsThenStop(store, "a.zst", file, EngineOptions(), 3);
  EXPECT_EQ(journal.parts.size(), 3u);
  EXPECT_FALSE(journal.upload_id.empty());
  ASSERT_TRUE(journal.source.has_value());
  store.ResetCounts();
  auto r = UploadFile(store, "a.zst", file, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.counts().upload_part, 2);
  EXPECT_EQ(store.counts().begin_upload, 0);
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->parts_total, 5);
  EXPECT_EQ(r->parts_sent, 2);
  EXPECT_EQ(r->parts_reused, 3);
  EXPECT_EQ(r->upload_id, journal.upload_id);
  EXPECT_EQ(Sha256Hex(ReadObject("a.zst")), FileSha256(file));
  EXPECT_FALSE(fs::exists(DefaultJournalPath(file)));
}

TEST_P(UploadEngineConformance, ResumeReusesPartsTheJournalMissed) {
  // A part reached the server but the process died before journaling it: it is verified by
  // hashing the local range and reused, not sent again.
  fs::path file = MakeFile("snap", 4 * kPart + 1, 12);
  CountingObjectStore store(*store_);
  UploadJournal journal = UploadPartsThenStop(store, "b.zst", file, EngineOptions(), 3);
  journal.parts.pop_back();
  ASSERT_TRUE(uploader::WriteJournal(DefaultJournalPath(file), journal).ok());
  store.ResetCounts();
  auto r = UploadFile(store, "b.zst", file, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->parts_reused, 3);
  EXPECT_EQ(r->parts_sent, 2);
  EXPECT_EQ(store.counts().upload_part, 2);
  EXPECT_EQ(Sha256Hex(ReadObject("b.zst")), FileSha256(file));
}

TEST_P(UploadEngineConformance, SourceChangedAbortsTheOldUpload) {
  fs::path file = MakeFile("snap", 2 * kPart + 5, 13);
  CountingObjectStore store(*store_);
  UploadJournal old = UploadPartsThenStop(store, "c.zst", file, EngineOptions(), 2);
  MakeFile("snap", 2 * kPart + 5, 99);  // same name and size, new content and mtime
  store.ResetCounts();
  auto r = UploadFile(store, "c.zst", file, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.counts().abort, 1);
  EXPECT_EQ(store.counts().begin_upload, 1);
  EXPECT_FALSE(r->resumed);
  EXPECT_EQ(r->parts_reused, 0);
  EXPECT_NE(r->upload_id, old.upload_id);
  auto pending = store_->ListUploads("c.zst");
  ASSERT_TRUE(pending.ok());
  for (auto const& u : *pending) EXPECT_NE(u.upload_id, old.upload_id);
  EXPECT_EQ(Sha256Hex(ReadObject("c.zst")), FileSha256(file));
}

TEST_P(UploadEngineConformance, LostCompleteResponseIsAcceptedAfterStat) {
  fs::path file = MakeFile("snap", 2 * kPart + 5, 14);
  CountingObjectStore store(*store_);
  store.FailCompleteAfterCommit(1, UnavailableError("connection reset after commit"));
  auto r = UploadFile(store, "d.zst", file, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.counts().complete, 1);  // accepted by the Stat, not completed twice
  EXPECT_TRUE(r->etag.ends_with("-3")) << r->etag;
  // A Complete that never reached the server is retried.
  store.ResetCounts();
  store.FailCompleteBeforeCommit(UnavailableError("connection refused"));
  fs::path other = MakeFile("snap2", kPart + 5, 15);
  r = UploadFile(store, "e.zst", other, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.counts().complete, 2);
  EXPECT_EQ(Sha256Hex(ReadObject("e.zst")), FileSha256(other));
}

TEST_P(UploadEngineConformance, CompletedUploadWithLeftoverJournalIsNotSentAgain) {
  fs::path file = MakeFile("snap", 2 * kPart + 5, 16);
  CountingObjectStore store(*store_);
  UploadJournal journal = UploadPartsThenStop(store, "f.zst", file, EngineOptions(), 1);
  ASSERT_TRUE(UploadFile(store, "f.zst", file, EngineOptions()).ok());
  // The process died after Complete but before deleting the journal.
  ASSERT_TRUE(uploader::WriteJournal(DefaultJournalPath(file), journal).ok());
  store.ResetCounts();
  auto r = UploadFile(store, "f.zst", file, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->parts_sent, 0);
  EXPECT_EQ(store.counts().upload_part + store.counts().put_file + store.counts().begin_upload, 0);
  EXPECT_FALSE(fs::exists(DefaultJournalPath(file)));
}

TEST_P(UploadEngineConformance, PipelinedSinkUploadsWhileWriting) {
  CountingObjectStore store(*store_);
  fs::path local = fs::path(local_.path()) / "stream.db.zst";
  auto o = EngineOptions();
  o.parallelism = 2;
  auto sink = uploader::PipelinedUploadSink::Create(store, "p/stream.zst", local, o);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  std::string data = Random(3 * kPart + 999, 21);
  for (std::size_t off = 0; off < data.size(); off += 64 << 10) {
    ASSERT_TRUE((*sink)->Write(AsBytes(std::string_view(data).substr(off, 64 << 10))).ok());
  }
  // Parts go out before Finish.
  EXPECT_TRUE(WaitFor([&] { return store.counts().upload_part >= 3; }));
  EXPECT_TRUE(fs::exists((*sink)->temp_path()));
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ((*sink)->result().parts_total, 4);
  EXPECT_EQ((*sink)->result().bytes, data.size());
  EXPECT_EQ(store.counts().upload_part, 4);
  EXPECT_FALSE(fs::exists((*sink)->temp_path()));
  EXPECT_FALSE(fs::exists(DefaultJournalPath(local)));
  EXPECT_EQ(FileSha256(local), Sha256Hex(data));
  EXPECT_EQ(Sha256Hex(ReadObject("p/stream.zst")), Sha256Hex(data));
}

TEST_P(UploadEngineConformance, PipelinedSinkSmallStreamIsOnePut) {
  CountingObjectStore store(*store_);
  fs::path local = fs::path(local_.path()) / "small";
  auto sink = uploader::PipelinedUploadSink::Create(store, "p/small", local, EngineOptions());
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(AsBytes("hello")).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(store.counts().begin_upload, 0);
  EXPECT_EQ(store.counts().put_file, 1);
  EXPECT_EQ(ReadObject("p/small"), "hello");
  EXPECT_EQ(FileSha256(local), Sha256Hex("hello"));
  // The local file exists now: a second sink refuses to overwrite it.
  EXPECT_EQ(uploader::PipelinedUploadSink::Create(store, "p/small", local, EngineOptions())
                .status().code(),
            StatusCode::kAlreadyExists);
}

TEST_P(UploadEngineConformance, PipelinedSinkDestroyedWithoutFinishAbortsEverything) {
  fs::path local = fs::path(local_.path()) / "abandoned";
  fs::path temp;
  {
    auto sink = uploader::PipelinedUploadSink::Create(*store_, "p/abandoned", local,
                                                      EngineOptions());
    ASSERT_TRUE(sink.ok());
    temp = (*sink)->temp_path();
    std::string data = Random(2 * kPart + 10, 22);
    ASSERT_TRUE((*sink)->Write(AsBytes(data)).ok());
    auto pending = store_->ListUploads("p/abandoned");
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(pending->size(), 1u);
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(local));
  EXPECT_FALSE(fs::exists(DefaultJournalPath(local)));
  auto pending = store_->ListUploads("p/abandoned");
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  EXPECT_EQ(store_->Stat("p/abandoned").status().code(), StatusCode::kNotFound);
}

TEST_P(UploadEngineConformance, PipelinedSinkKilledAfterLocalCommitResumesWithUploadFile) {
  CountingObjectStore store(*store_);
  fs::path local = fs::path(local_.path()) / "killed.db.zst";
  std::string data = Random(3 * kPart + 3, 23);
  {
    auto sink = uploader::PipelinedUploadSink::Create(store, "p/killed", local, EngineOptions());
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(AsBytes(data)).ok());
    store.FailCompleteBeforeCommit(AbortedError("killed before Complete"));
    EXPECT_FALSE((*sink)->Finish().ok());
  }
  EXPECT_EQ(FileSha256(local), Sha256Hex(data));  // the local copy is committed
  auto journal = ReadJournal(DefaultJournalPath(local));
  ASSERT_TRUE(journal.ok() && journal->has_value());
  ASSERT_TRUE((*journal)->source.has_value());  // names the final file
  store.ResetCounts();
  auto r = UploadFile(store, "p/killed", local, EngineOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->parts_sent, 0);
  EXPECT_EQ(r->parts_reused, 4);
  EXPECT_EQ(store.counts().upload_part, 0);
  EXPECT_EQ(Sha256Hex(ReadObject("p/killed")), Sha256Hex(data));
}

TEST_P(UploadEngineConformance, DownloadToFileContinuesAfterADroppedConnection) {
  fs::path file = MakeFile("src", 2 * kPart + 3, 31);
  ASSERT_TRUE(UploadFile(*store_, "dl/object", file, EngineOptions()).ok());
  CountingObjectStore store(*store_);
  store.FailReadAfterBytes(kPart + 17, UnavailableError("connection reset"));
  uploader::DownloadOptions d;
  d.clock = &clock_;
  d.expected_sha256_hex = FileSha256(file);
  fs::path out = fs::path(local_.path()) / "out";
  Status st = uploader::DownloadToFile(store, "dl/object", out, d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(store.counts().read, 2);
  EXPECT_EQ(FileSha256(out), FileSha256(file));
  EXPECT_EQ(uploader::DownloadToFile(store, "dl/object", out, d).code(),
            StatusCode::kAlreadyExists);
  d.expected_sha256_hex = std::string(64, '0');
  fs::path bad = fs::path(local_.path()) / "bad";
  EXPECT_EQ(uploader::DownloadToFile(store, "dl/object", bad, d).code(), StatusCode::kDataLoss);
  EXPECT_FALSE(fs::exists(bad));
  EXPECT_EQ(uploader::DownloadToFile(store, "dl/missing", bad, {}).code(),
            StatusCode::kNotFound);
}

TEST_P(UploadEngineConformance, AbortStaleUploadsSparesJournaledOnes) {
  auto a = store_->BeginUpload("stale/a", {});
  auto b = store_->BeginUpload("stale/b", {});
  ASSERT_TRUE(a.ok() && b.ok());
  fs::path journals = fs::path(local_.path()) / "journals";
  fs::create_directories(journals);
  // b: resumable (its file is there, unchanged). a: a sink killed mid-write (no source).
  fs::path b_file = MakeFile("b", 10, 1);
  UploadJournal jb{.location = store_->Describe(), .key = "stale/b",
                   .upload_id = (*b)->upload_id(), .part_size = kPart,
                   .source = *uploader::IdentifyFile(b_file), .parts = {}};
  ASSERT_TRUE(uploader::WriteJournal(journals / ".b.upload.json", jb).ok());
  UploadJournal ja{.location = store_->Describe(), .key = "stale/a",
                   .upload_id = (*a)->upload_id(), .part_size = kPart, .source = {},
                   .parts = {}};
  ASSERT_TRUE(uploader::WriteJournal(journals / ".a.upload.json", ja).ok());
  FakeClock later(SystemClock::Instance().Now() + std::chrono::minutes(1));
  auto none = uploader::AbortStaleUploads(*store_, "stale/", std::chrono::hours(1), later,
                                          {journals});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);
  auto one = uploader::AbortStaleUploads(*store_, "stale/", std::chrono::seconds(0), later,
                                         {journals});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, 1);
  auto left = store_->ListUploads("stale/");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].upload_id, (*b)->upload_id());
  EXPECT_FALSE(fs::exists(journals / ".a.upload.json"));  // the dead journal went with it
  EXPECT_TRUE(fs::exists(journals / ".b.upload.json"));
}

}  // namespace kb::testing
