#include "kube/label_selector.h"

#include <algorithm>

namespace kb::kube {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Splits on commas that are not inside parentheses.
std::vector<std::string_view> SplitTopLevel(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      parts.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return parts;
}

bool ValidKey(std::string_view key) {
  return !key.empty() && key.find_first_of(" \t=!(),") == std::string_view::npos;
}

}  // namespace

json::object const& ObjectLabels(json::object const& obj) {
  static json::object const kEmpty;
  auto const* md = obj.if_contains("metadata");
  if (md == nullptr || !md->is_object()) return kEmpty;
  auto const* labels = md->get_object().if_contains("labels");
  if (labels == nullptr || !labels->is_object()) return kEmpty;
  return labels->get_object();
}

StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector selector;
  if (Trim(text).empty()) return selector;
  for (std::string_view part : SplitTopLevel(text)) {
    auto bad = [&] {
      return InvalidArgumentError(fmt::format(
          "selector \"{}\": cannot read \"{}\": use k=v, k!=v, k in (a,b), k notin (a,b), k or !k",
          text, part));
    };
    Requirement r;
    std::size_t pos = 0;
    if (part.empty()) return bad();
    if (part.front() == '!') {
      r.key = std::string(Trim(part.substr(1)));
      r.op = Op::kDoesNotExist;
    } else if ((pos = part.find("!=")) != std::string_view::npos) {
      r.key = std::string(Trim(part.substr(0, pos)));
      r.op = Op::kNotEquals;
      r.values.emplace_back(Trim(part.substr(pos + 2)));
    } else if ((pos = part.find("==")) != std::string_view::npos) {
      r.key = std::string(Trim(part.substr(0, pos)));
      r.op = Op::kEquals;
      r.values.emplace_back(Trim(part.substr(pos + 2)));
    } else if ((pos = part.find('=')) != std::string_view::npos) {
      r.key = std::string(Trim(part.substr(0, pos)));
      r.op = Op::kEquals;
      r.values.emplace_back(Trim(part.substr(pos + 1)));
    } else if (auto open = part.find('('); open != std::string_view::npos) {
      if (part.back() != ')') return bad();
      std::string_view head = Trim(part.substr(0, open));
      auto space = head.find_last_of(" \t");
      if (space == std::string_view::npos) return bad();
      std::string_view op = Trim(head.substr(space + 1));
      r.key = std::string(Trim(head.substr(0, space)));
      if (op == "in") {
        r.op = Op::kIn;
      } else if (op == "notin") {
        r.op = Op::kNotIn;
      } else {
        return bad();
      }
      std::string_view inside = part.substr(open + 1, part.size() - open - 2);
      std::size_t start = 0;
      for (std::size_t i = 0; i <= inside.size(); ++i) {
        if (i == inside.size() || inside[i] == ',') {
          std::string_view v = Trim(inside.substr(start, i - start));
          if (!v.empty()) r.values.emplace_back(v);
          start = i + 1;
        }
      }
      if (r.values.empty()) return bad();
    } else {
      r.key = std::string(part);
      r.op = Op::kExists;
    }
    if (!ValidKey(r.key)) return bad();
    for (auto const& v : r.values) {
      if (v.find_first_of(" \t=!(),") != std::string::npos) return bad();
    }
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool LabelSelector::Matches(json::object const& labels) const {
  for (auto const& r : requirements_) {
    auto const* v = labels.if_contains(r.key);
    bool const has = v != nullptr && v->is_string();
    std::string value = has ? std::string(v->get_string()) : "";
    bool const in = has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace kb::kube
