#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rectrack {

// A calendar day (no time, no zone), stored as days since 1970-01-01.
class Date {
 public:
  constexpr Date() = default;
  static constexpr Date FromDays(int32_t days) { return Date(days); }
  // Returns an error unless `s` is a valid YYYY-MM-DD day.
  static Result<Date> ParseIso(std::string_view s);
  // Parses with a strftime-like pattern of %Y %m %d %b (month name) and literals,
  // e.g. "%d/%m/%Y". Returns an error naming the value unless it is a real day.
  static Result<Date> Parse(std::string_view s, std::string_view format);
  static Result<Date> FromYmd(int y, int m, int d);

  std::string ToIso() const;
  // "25 October 2017", the form used in official updates.
  std::string ToLong() const;
  int32_t days() const { return days_; }
  int year() const;

  Date AddDays(int32_t n) const { return Date(days_ + n); }
  friend constexpr int32_t operator-(Date a, Date b) { return a.days_ - b.days_; }
  friend constexpr auto operator<=>(Date a, Date b) = default;

 private:
  constexpr explicit Date(int32_t days) : days_(days) {}
  int32_t days_ = 0;
};

// Parses an optional ISO date: empty -> nullopt.
Result<std::optional<Date>> ParseOptionalIso(std::string_view s);
std::string OptionalIso(const std::optional<Date>& d);

}  // namespace rectrack
