// GoJson writes what Go's json.Marshal writes for the same map. The expected strings were
// checked with Go 1.26's encoding/json (Unmarshal into interface{}, then Marshal); integers are
// kept as int64, as Kubernetes' unstructured decoder keeps them (plain Go would use float64).
#include "kube/go_json.h"

#include <gtest/gtest.h>

namespace kb::kube {
namespace {

std::string Enc(std::string_view text) { return GoJson(json::parse(text)); }

TEST(GoJson, SortsKeysAndIsCompact) {
  EXPECT_EQ(Enc(R"({"b":1, "a":{"d":[1, 2], "c":null}, "A":true})"),
            R"({"A":true,"a":{"c":null,"d":[1,2]},"b":1})");
}

TEST(GoJson, EscapesHtmlAndLineSeparatorsLikeGo) {
  EXPECT_EQ(Enc(R"({"k":"<a href=\"x\">&amp;</a>"})"),
            R"({"k":"\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e"})");
  EXPECT_EQ(Enc("{\"k\":\"a\\u2028b\\u2029c\"}"), R"({"k":"a\u2028b\u2029c"})");
}

TEST(GoJson, ControlCharactersUseShortFormsOrLowerHex) {
  EXPECT_EQ(Enc(R"(["\n\r\t\b\f\u0001\u001f\\/"])"), R"(["\n\r\t\b\f\u0001\u001f\\/"])");
}

TEST(GoJson, KeepsUtf8AndReplacesInvalidBytes) {
  json::value v = json::string("h\xc3\xa9llo \xe2\x82\xac \xff!");
  EXPECT_EQ(GoJson(v), "\"h\xc3\xa9llo \xe2\x82\xac \\ufffd!\"");
}

TEST(GoJson, NumbersAsGoPrintsThem) {
  EXPECT_EQ(Enc("[0, -5, 9223372036854775807, 18446744073709551615]"),
            "[0,-5,9223372036854775807,18446744073709551615]");
  EXPECT_EQ(Enc("[1.5, 0.1, 100.25, 1e21, 1e-7, 123456789.125]"),
            "[1.5,0.1,100.25,1e+21,1e-7,123456789.125]");
}

}  // namespace
}  // namespace kb::kube
