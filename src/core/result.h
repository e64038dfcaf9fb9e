#pragma once

#include <string>
#include <utility>

#include "tl/expected.hpp"

namespace rectrack {

// An expected failure caused by input or the outside world. Bugs throw; these don't.
struct Error {
  enum class Code {
    kInvalidInput,  // malformed file, unknown word, bad date, bad argument
    kNotFound,      // a named source/recommendation/owner/assignment does not exist
    kConflict,      // unique key clash, duplicate import, a step out of order
    kPrecondition,  // the caller's view is stale (If-Match / expected version differs)
    kIo,            // file or database could not be read or written
    kCorrupt,       // the store or the ledger fails an integrity check
    kUnavailable,   // the database is busy or unreachable for now: try again (HTTP 503)
    kInternal,      // a bug that was caught rather than crashed on
  };
  Code code = Code::kInternal;
  std::string message;

  static Error Invalid(std::string m) { return {Code::kInvalidInput, std::move(m)}; }
  static Error NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Error Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Error Precondition(std::string m) { return {Code::kPrecondition, std::move(m)}; }
  static Error Io(std::string m) { return {Code::kIo, std::move(m)}; }
  static Error Corrupt(std::string m) { return {Code::kCorrupt, std::move(m)}; }
  static Error Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Error Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
};

template <typename T>
using Result = tl::expected<T, Error>;

// Result<void> for operations that return nothing on success.
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// Propagates the error of a Result-returning expression, LevelDB style:
//   RT_TRY(store->Begin());
#define RT_TRY(expr)                                   \
  do {                                                 \
    auto rt_try_result_ = (expr);                      \
    if (!rt_try_result_) return ::rectrack::Fail(std::move(rt_try_result_.error())); \
  } while (0)

}  // namespace rectrack
