#include <sodium.h>

#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "rectrack: error: libsodium failed to initialise\n");
    return 1;
  }
  try {
    return rectrack::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    // A bug, not an input problem: say so rather than crash silently.
    std::fprintf(stderr, "rectrack: internal error: %s\n", e.what());
    return 70;
  }
}
