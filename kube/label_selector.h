#pragma once
// Kubernetes label selectors evaluated on the client: what `--selector` keeps in a restore,
// with the API server's syntax and meaning. Spec: Kubernetes "Labels and Selectors"
// (equality-based =, ==, !=; set-based in, notin, exists, !exists), k8s.io/apimachinery
// pkg/labels/selector.go.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/json.h"
#include "agent/base/status.h"

namespace kb::kube {

/// A parsed label selector. The empty selector matches everything.
class LabelSelector {
 public:
  /// Parses "app=web,tier!=db,env in (prod,staging),!canary,owner".
  /// Errors: kInvalidArgument naming the selector and the requirement that does not parse.
  static StatusOr<LabelSelector> Parse(std::string_view text);

  /// True when `labels` (an object's metadata.labels; null or missing = no labels) satisfies
  /// every requirement.
  bool Matches(json::object const& labels) const;
  /// True when the selector has no requirement.
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

/// The labels of an object (metadata.labels), or an empty object.
json::object const& ObjectLabels(json::object const& obj);

}  // namespace kb::kube
