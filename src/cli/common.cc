#include "cli/common.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "fmt/format.h"

namespace rectrack::cli {

int Report(const Error& e) {
  std::fprintf(stderr, "rectrack: error: %s\n", e.message.c_str());
  return kError;
}

int ReportCheck(const Error& e) {
  Report(e);
  return e.code == Error::Code::kCorrupt ? kVerifyFailed : kError;
}

Actor CliActor() {
  const char* user = std::getenv("USER");
  if (!user || !*user) {
    const passwd* pw = getpwuid(getuid());
    user = pw ? pw->pw_name : "unknown";
  }
  return Actor{fmt::format("cli:{}", user)};
}

}  // namespace rectrack::cli
