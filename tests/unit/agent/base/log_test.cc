// JSON Lines log lines (LogFormat::kJson): the event and key=value pairs as members, quoted
// values unquoted, the whole text in "msg", and a text that is not pairs kept whole.
#include "agent/base/log.h"

#include <gtest/gtest.h>

#include "agent/base/json.h"

namespace kb {
namespace {

json::object Parse(std::string const& line) {
  auto v = ParseJson(line, "log line");
  EXPECT_TRUE(v.ok()) << line;
  return v.ok() && v->is_object() ? v->as_object() : json::object{};
}

TEST(JsonLogLine, EventAndPairsBecomeMembers) {
  std::string const msg =
      "run failed schedule=etcd-snapshots attempt=2 error=\"dial 127.0.0.1:2379: refused\"";
  auto line = JsonLogLine("2026-11-24T02:00:04.123Z", "error", "agent", msg);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto o = Parse(line);
  EXPECT_EQ(JsonString(o, "time"), "2026-11-24T02:00:04.123Z");
  EXPECT_EQ(JsonString(o, "level"), "error");
  EXPECT_EQ(JsonString(o, "logger"), "agent");
  EXPECT_EQ(JsonString(o, "event"), "run failed");
  EXPECT_EQ(JsonString(o, "schedule"), "etcd-snapshots");
  EXPECT_EQ(JsonString(o, "attempt"), "2");
  EXPECT_EQ(JsonString(o, "error"), "dial 127.0.0.1:2379: refused");
  EXPECT_EQ(JsonString(o, "msg"), msg);
  EXPECT_EQ(o.size(), 8u) << line;
}

TEST(JsonLogLine, QuotesNewlinesAndControlCharactersAreEscaped) {
  std::string const msg = "upload failed error=\"say \"no\"\nthen\tstop\" key=k\x01";
  auto line = JsonLogLine("t", "warning", "uploader", msg);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per record";
  EXPECT_EQ(line.find('\x01'), std::string::npos);
  auto o = Parse(line);
  EXPECT_EQ(JsonString(o, "error"), "say \"no\"\nthen\tstop");
  EXPECT_EQ(JsonString(o, "key"), "k\x01");
  EXPECT_EQ(JsonString(o, "msg"), msg);
}

TEST(JsonLogLine, ATextThatIsNotPairsIsKeptWholeInMsg) {
  for (std::string msg : {"agent stopped", "odd text a=b then words", "x=\"unterminated",
                          "=value", ""}) {
    auto o = Parse(JsonLogLine("t", "info", "agent", msg));
    EXPECT_EQ(JsonString(o, "msg"), msg);
    EXPECT_FALSE(o.contains("a")) << msg;
    EXPECT_FALSE(o.contains("x")) << msg;
  }
  auto event_only = Parse(JsonLogLine("t", "info", "agent", "agent stopped"));
  EXPECT_EQ(JsonString(event_only, "event"), "agent stopped");
}

TEST(JsonLogLine, KeysClashingWithTheRecordsOwnMembersStayInMsgOnly) {
  auto o = Parse(JsonLogLine("T", "info", "agent", "x time=1 level=debug msg=m logger=l n=1"));
  EXPECT_EQ(JsonString(o, "time"), "T");
  EXPECT_EQ(JsonString(o, "level"), "info");
  EXPECT_EQ(JsonString(o, "logger"), "agent");
  EXPECT_EQ(JsonString(o, "msg"), "x time=1 level=debug msg=m logger=l n=1");
  EXPECT_EQ(JsonString(o, "n"), "1");
}

}  // namespace
}  // namespace kb
