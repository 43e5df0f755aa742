// Schedule parsing: cron fields, presets, @every and time zones. The ticks are computed in
// schedule_ticks.cc.
#include "agent/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <span>
#include <vector>

#include "agent/base/clock.h"

namespace kb::agent {
namespace {

constexpr std::chrono::seconds kMinEvery{1};
constexpr std::chrono::seconds kMaxEvery = std::chrono::hours(87600);  // 10 years

constexpr std::string_view kForms =
    "want 5 cron fields (minute hour day-of-month month day-of-week), @every <duration>, "
    "@hourly, @daily, @midnight, @weekly, @biweekly, @monthly, @bimonthly, @yearly, @annually "
    "or never";

constexpr std::array<std::string_view, 12> kMonthNames = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  std::span<std::string_view const> names;  // names[i] stands for value min + i
  std::string_view names_hint;
};
constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, {}, ""},
    {"hour", 0, 23, {}, ""},
    {"day-of-month", 1, 31, {}, ""},
    {"month", 1, 12, kMonthNames, "JAN-DEC"},
    {"day-of-week", 0, 7, kDayNames, "SUN-SAT"},
}};

struct Preset {
  std::string_view name;
  std::string_view cron;
  bool even_weeks_only;
};
constexpr std::array<Preset, 9> kPresets = {{
    {"@hourly", "0 * * * *", false},
    {"@daily", "0 0 * * *", false},
    {"@midnight", "0 0 * * *", false},
    {"@weekly", "0 0 * * 0", false},
    {"@biweekly", "0 0 * * 0", true},
    {"@monthly", "0 0 1 * *", false},
    {"@bimonthly", "0 0 1 1,3,5,7,9,11 *", false},
    {"@yearly", "0 0 1 1 *", false},
    {"@annually", "0 0 1 1 *", false},
}};

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// Digits only, parsed without exceptions; values too big for int come back as INT_MAX.
int ParseDigits(std::string_view s) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : std::numeric_limits<int>::max();
}

StatusOr<int> ParseValue(std::string_view token, FieldSpec const& spec) {
  if (IsDigits(token)) {
    int v = ParseDigits(token);
    if (v < spec.min || v > spec.max) {
      return InvalidArgumentError(fmt::format("cron field \"{}\" value {} is out of range {}-{}",
                                              spec.name, token, spec.min, spec.max));
    }
    return v;
  }
  std::string lower = ToLower(token);
  for (std::size_t i = 0; i < spec.names.size(); ++i) {
    if (lower == spec.names[i]) return spec.min + static_cast<int>(i);
  }
  if (spec.names.empty()) {
    return InvalidArgumentError(
        fmt::format("cron field \"{}\" value \"{}\" is not a number", spec.name, token));
  }
  return InvalidArgumentError(fmt::format("cron field \"{}\" value \"{}\" is not a number or a "
                                          "name {}",
                                          spec.name, token, spec.names_hint));
}

// Returns the field's values as a bit mask (bit v set when v matches).
StatusOr<std::uint64_t> ParseField(std::string_view field, FieldSpec const& spec) {
  std::uint64_t mask = 0;
  for (std::string_view item : Split(field, ',')) {
    if (item.empty()) {
      return InvalidArgumentError(
          fmt::format("cron field \"{}\" has an empty list item in \"{}\"", spec.name, field));
    }
    std::string_view range = item;
    long long step = 1;
    bool has_step = false;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      if (!IsDigits(step_text) || ParseDigits(step_text) == 0) {
        return InvalidArgumentError(fmt::format(
            "cron field \"{}\" step \"{}\" in \"{}\" is not a positive number", spec.name,
            step_text, item));
      }
      step = ParseDigits(step_text);
      has_step = true;
    }
    int lo = spec.min;  // "*": every value
    int hi = spec.max;
    if (std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      std::string_view a = range.substr(0, dash);
      std::string_view b = range.substr(dash + 1);
      if (a.empty() || b.empty()) {
        return InvalidArgumentError(fmt::format(
            "cron field \"{}\" item \"{}\" is not a value, a range a-b or a step", spec.name,
            item));
      }
      KB_ASSIGN_OR_RETURN(lo, ParseValue(a, spec));
      KB_ASSIGN_OR_RETURN(hi, ParseValue(b, spec));
      if (lo > hi) {
        return InvalidArgumentError(fmt::format(
            "cron field \"{}\" range {} runs backwards; write the smaller value first",
            spec.name, range));
      }
    } else if (range != "*" && has_step) {
      return InvalidArgumentError(fmt::format(
          "cron field \"{}\" item \"{}\" has a step after a single value; write \"*/n\" or "
          "a range \"a-b/n\"",
          spec.name, item));
    } else if (range != "*") {
      KB_ASSIGN_OR_RETURN(lo, ParseValue(range, spec));
      hi = lo;
    }
    for (long long v = lo; v <= hi; v += step) mask |= std::uint64_t{1} << v;
  }
  return mask;
}

StatusOr<absl::TimeZone> LoadZone(std::string_view name) {
  if (name == "UTC") return absl::UTCTimeZone();
  // IANA names only: no paths, no "localtime" (the host's zone), no POSIX TZ strings.
  bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' &&
                   name != "localtime" && std::all_of(name.begin(), name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                            c == '_' || c == '-' || c == '+';
                   });
  absl::TimeZone zone;
  if (!plausible || !absl::LoadTimeZone(std::string(name), &zone)) {
    return InvalidArgumentError(fmt::format(
        "unknown time zone \"{}\"; want \"UTC\" or an IANA name such as \"Europe/Berlin\" "
        "(read from tzdata, /usr/share/zoneinfo)",
        name));
  }
  return zone;
}

StatusOr<std::chrono::seconds> ParseEvery(std::string_view text) {
  if (text.empty()) {
    return InvalidArgumentError("@every needs a duration, e.g. \"@every 1h30m\"");
  }
  std::chrono::seconds d{0};
  if (!ParseGoDuration(std::string(text), d)) {
    return InvalidArgumentError(fmt::format(
        "@every \"{}\" is not a Go duration in whole seconds such as 90s, 30m or 1h30m", text));
  }
  if (d < kMinEvery) {
    return InvalidArgumentError(fmt::format("@every {} is shorter than the 1s minimum", text));
  }
  if (d > kMaxEvery) {
    return InvalidArgumentError(fmt::format(
        "@every {} is longer than the 87600h (10 years) maximum; use a cron or never", text));
  }
  return d;
}

}  // namespace

StatusOr<Schedule> Schedule::Parse(std::string_view text, std::string_view time_zone) {
  Schedule s;
  s.text_ = std::string(Trim(text));
  s.time_zone_ = std::string(time_zone);
  KB_ASSIGN_OR_RETURN(s.zone_, LoadZone(time_zone));
  std::string lower = ToLower(s.text_);
  if (lower == "never") {
    s.kind_ = Kind::kNever;
    return s;
  }
  if (lower.starts_with("@every") && (lower.size() == 6 || IsSpace(lower[6]))) {
    KB_ASSIGN_OR_RETURN(s.every_, ParseEvery(Trim(std::string_view(s.text_).substr(6))));
    s.kind_ = Kind::kEvery;
    return s;
  }
  std::string_view cron = s.text_;
  if (lower.starts_with('@')) {
    auto it = std::find_if(kPresets.begin(), kPresets.end(),
                           [&](Preset const& p) { return p.name == lower; });
    if (it == kPresets.end()) {
      return InvalidArgumentError(fmt::format("unknown schedule \"{}\"; {}", s.text_, kForms));
    }
    cron = it->cron;
    s.even_weeks_only_ = it->even_weeks_only;
  }
  s.kind_ = Kind::kCron;
  KB_RETURN_IF_ERROR(s.ParseCron(cron));
  KB_RETURN_IF_ERROR(s.CheckMatchesOften());
  return s;
}

StatusOr<Schedule> Schedule::Custom(CustomFields const& fields, std::string_view time_zone) {
  struct Item {
    std::optional<int> value;
    FieldSpec const& spec;
  };
  std::array<Item, 4> items = {{{fields.minute, kFields[0]},
                                {fields.hour, kFields[1]},
                                {fields.day_of_month, kFields[2]},
                                {fields.month, kFields[3]}}};
  std::string cron;
  for (Item const& item : items) {
    if (item.value && (*item.value < item.spec.min || *item.value > item.spec.max)) {
      return InvalidArgumentError(fmt::format("custom schedule \"{}\" value {} is out of range "
                                              "{}-{}",
                                              item.spec.name, *item.value, item.spec.min,
                                              item.spec.max));
    }
    cron += item.value ? std::to_string(*item.value) + " " : "* ";
  }
  return Parse(cron + "*", time_zone);
}

Status Schedule::ParseCron(std::string_view cron) {
  std::vector<std::string_view> fields = SplitWhitespace(cron);
  if (fields.size() != kFields.size()) {
    return InvalidArgumentError(fmt::format("schedule \"{}\" has {} field{}; {}", cron,
                                            fields.size(), fields.size() == 1 ? "" : "s", kForms));
  }
  std::array<std::uint64_t, 5> masks{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    KB_ASSIGN_OR_RETURN(masks[i], ParseField(fields[i], kFields[i]));
  }
  if (masks[4] & (1u << 7)) masks[4] = (masks[4] | 1u) & ~std::uint64_t{1u << 7};  // 7: Sunday
  minutes_ = masks[0];
  hours_ = static_cast<std::uint32_t>(masks[1]);
  days_of_month_ = static_cast<std::uint32_t>(masks[2]);
  months_ = static_cast<std::uint16_t>(masks[3]);
  days_of_week_ = static_cast<std::uint8_t>(masks[4]);
  day_of_month_star_ = fields[2].front() == '*';
  day_of_week_star_ = fields[4].front() == '*';
  return OkStatus();
}

}  // namespace kb::agent
