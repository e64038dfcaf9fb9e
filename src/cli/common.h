#pragma once

#include "core/result.h"
#include "store/store.h"

namespace rectrack::cli {

// Exit codes: 0 success, 1 error, 2 usage (a command line that does not
// parse), 3 verification failed.
inline constexpr int kOk = 0, kError = 1, kUsage = 2, kVerifyFailed = 3;

// Prints "rectrack: error: MESSAGE" to standard error; returns kError.
int Report(const Error& e);
// The same, but kVerifyFailed when the error is a failed integrity check
// (kCorrupt): a forged publication, a store that does not match its ledger.
int ReportCheck(const Error& e);

// Who the ledger says did it: "cli:" and the login name ($USER, else the
// password database, else "unknown").
Actor CliActor();

}  // namespace rectrack::cli
