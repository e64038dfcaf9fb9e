#pragma once

namespace rectrack::cli {

// Parses the command line, runs one command, prints its output and returns the
// process exit code: 0 success, 1 error, 2 usage, 3 verification failed.
int Run(int argc, char** argv);

}  // namespace rectrack::cli
