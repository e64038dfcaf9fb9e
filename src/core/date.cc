#include "core/date.h"

#include <array>
#include <charconv>

#include "date/date.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

bool ReadInt(std::string_view s, size_t* pos, int min_digits, int max_digits, int* out) {
  size_t start = *pos;
  int value = 0, digits = 0;
  while (*pos < s.size() && digits < max_digits && s[*pos] >= '0' && s[*pos] <= '9') {
    value = value * 10 + (s[*pos] - '0');
    ++*pos;
    ++digits;
  }
  if (digits < min_digits) {
    *pos = start;
    return false;
  }
  *out = value;
  return true;
}

}  // namespace

Result<Date> Date::FromYmd(int y, int m, int d) {
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                           date::day{static_cast<unsigned>(d)}};
  if (y < 1 || y > 9999 || !ymd.ok())
    return Fail(Error::Invalid(fmt::format("{:04}-{:02}-{:02} is not a calendar day", y, m, d)));
  return Date(static_cast<int32_t>(date::sys_days(ymd).time_since_epoch().count()));
}

Result<Date> Date::ParseIso(std::string_view s) { return Parse(s, "%Y-%m-%d"); }

namespace {

// A strftime-like format as people write it: "%d/%m/%Y" -> "DD/MM/YYYY".
std::string FormForPeople(std::string_view format) {
  std::string out;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] == '%' && f + 1 < format.size()) {
      switch (format[++f]) {
        case 'Y': out += "YYYY"; break;
        case 'm': out += "MM"; break;
        case 'd': out += "DD"; break;
        case 'b': out += "Mon"; break;
        case 'B': out += "Month"; break;
        default: out += format.substr(f - 1, 2);
      }
    } else {
      out.push_back(format[f]);
    }
  }
  return out;
}

}  // namespace

Result<Date> Date::Parse(std::string_view s, std::string_view format) {
  auto bad = [&]() {
    return Fail(Error::Invalid(
        fmt::format("'{}' is not a date of the form {}", s, FormForPeople(format))));
  };
  int y = -1, m = -1, d = -1;
  size_t pos = 0;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] == '%' && f + 1 < format.size()) {
      char spec = format[++f];
      if (spec == 'Y') {
        if (!ReadInt(s, &pos, 4, 4, &y)) return bad();
      } else if (spec == 'm') {
        if (!ReadInt(s, &pos, 1, 2, &m)) return bad();
      } else if (spec == 'd') {
        if (!ReadInt(s, &pos, 1, 2, &d)) return bad();
      } else if (spec == 'b' || spec == 'B') {
        size_t start = pos;
        while (pos < s.size() && ((s[pos] | 0x20) >= 'a' && (s[pos] | 0x20) <= 'z')) ++pos;
        std::string word;
        for (size_t i = start; i < pos; ++i) word.push_back(static_cast<char>(s[i] | 0x20));
        m = -1;
        for (size_t i = 0; i < kMonths.size(); ++i)
          if (word == kMonths[i] || (word.size() == 3 && kMonths[i].substr(0, 3) == word))
            m = static_cast<int>(i) + 1;
        if (m < 0) return bad();
      } else {
        return Fail(Error::Invalid(fmt::format("unsupported date format directive %{}", spec)));
      }
    } else {
      if (pos >= s.size() || s[pos] != format[f]) return bad();
      ++pos;
    }
  }
  if (pos != s.size() || y < 0 || m < 0 || d < 0) return bad();
  auto r = FromYmd(y, m, d);
  if (!r) return Fail(Error::Invalid(fmt::format("'{}' is not a calendar day", s)));
  return r;
}

std::string Date::ToIso() const {
  date::year_month_day ymd{date::sys_days{date::days{days_}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string Date::ToLong() const {
  date::year_month_day ymd{date::sys_days{date::days{days_}}};
  std::string month(kMonths[static_cast<unsigned>(ymd.month()) - 1]);
  month[0] = static_cast<char>(month[0] - 'a' + 'A');
  return fmt::format("{} {} {}", static_cast<unsigned>(ymd.day()), month,
                     static_cast<int>(ymd.year()));
}

int Date::year() const {
  date::year_month_day ymd{date::sys_days{date::days{days_}}};
  return static_cast<int>(ymd.year());
}

Result<std::optional<Date>> ParseOptionalIso(std::string_view s) {
  if (s.empty()) return std::optional<Date>();
  auto d = Date::ParseIso(s);
  if (!d) return Fail(d.error());
  return std::optional<Date>(*d);
}

std::string OptionalIso(const std::optional<Date>& d) { return d ? d->ToIso() : std::string(); }

}  // namespace rectrack
