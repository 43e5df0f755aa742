#include "kube/label_selector.h"

#include <gtest/gtest.h>

namespace kb::kube {
namespace {

json::object Labels(std::initializer_list<std::pair<char const*, char const*>> kv) {
  json::object o;
  for (auto const& [k, v] : kv) o[k] = v;
  return o;
}

TEST(LabelSelector, EmptyMatchesEverything) {
  auto s = LabelSelector::Parse("  ");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->empty());
  EXPECT_TRUE(s->Matches(json::object{}));
}

TEST(LabelSelector, EqualityAndInequality) {
  auto s = LabelSelector::Parse("app=web, tier!=db");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->Matches(Labels({{"app", "web"}})));
  EXPECT_TRUE(s->Matches(Labels({{"app", "web"}, {"tier", "front"}})));
  EXPECT_FALSE(s->Matches(Labels({{"app", "web"}, {"tier", "db"}})));
  EXPECT_FALSE(s->Matches(Labels({{"app", "api"}})));
  EXPECT_FALSE(s->Matches(json::object{}));
  auto d = LabelSelector::Parse("app==web");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->Matches(Labels({{"app", "web"}})));
}

TEST(LabelSelector, SetBasedAndExistence) {
  auto s = LabelSelector::Parse("env in (prod, staging),team notin (x),owner,!canary");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->Matches(Labels({{"env", "prod"}, {"owner", "a"}})));
  EXPECT_TRUE(s->Matches(Labels({{"env", "staging"}, {"owner", "a"}, {"team", "y"}})));
  EXPECT_FALSE(s->Matches(Labels({{"env", "dev"}, {"owner", "a"}})));
  EXPECT_FALSE(s->Matches(Labels({{"env", "prod"}, {"owner", "a"}, {"team", "x"}})));
  EXPECT_FALSE(s->Matches(Labels({{"env", "prod"}})));
  EXPECT_FALSE(s->Matches(Labels({{"env", "prod"}, {"owner", "a"}, {"canary", "1"}})));
}

TEST(LabelSelector, BadSyntaxIsOneClearError) {
  for (char const* bad : {"=web", "env in prod", "env in ()", "a,,b", "env between (a)"}) {
    auto s = LabelSelector::Parse(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("selector"), std::string::npos) << s.status().message();
  }
}

TEST(LabelSelector, ObjectLabelsToleratesMissingMetadata) {
  EXPECT_TRUE(ObjectLabels(json::object{}).empty());
  json::object o{{"metadata", json::object{{"labels", nullptr}}}};
  EXPECT_TRUE(ObjectLabels(o).empty());
  json::object p{{"metadata", json::object{{"labels", Labels({{"a", "b"}})}}}};
  EXPECT_EQ(JsonString(ObjectLabels(p), "a"), "b");
}

}  // namespace
}  // namespace kb::kube
