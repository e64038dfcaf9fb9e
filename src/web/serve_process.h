#pragma once
// Test-only: the `rectrack` executable run as a child process, as an operator
// runs it: commands to completion, and `serve` processes that a test can kill
// (SIGKILL too) and start again.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "web/test_client.h"

namespace rectrack::web {
namespace {

struct CliResult {
  int rc = -1;
  std::string out, err;
};

[[maybe_unused]] std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Forks and execs `bin` with `args`; the child's stdin from `in_fd` (or
// /dev/null), stdout to `out_fd`, stderr to the file `err_path`.
[[maybe_unused]] pid_t Spawn(const std::string& bin, const std::vector<std::string>& args, int in_fd,
                             int out_fd, const std::string& err_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int null = ::open("/dev/null", O_RDONLY);
  dup2(in_fd >= 0 ? in_fd : null, 0);
  dup2(out_fd, 1);
  dup2(err, 2);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

// Runs `rectrack ARGS` to completion with `input` on its standard input.
[[maybe_unused]] CliResult RunCli(const std::string& bin, const std::vector<std::string>& args,
                                  const std::string& input, const std::string& scratch) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return {};
  const std::string err_path = scratch + "/cli.err";
  pid_t pid = Spawn(bin, args, in[0], out[1], err_path);
  close(in[0]);
  close(out[1]);
  (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  CliResult r;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = ReadWhole(err_path);
  return r;
}

// `rectrack serve --listen 127.0.0.1:0 ARGS`: started, and its port read from
// the line it prints once listening.
class ServeProcess {
 public:
  ServeProcess(const std::string& bin, std::vector<std::string> args, const std::string& log_path)
      : log_path_(log_path) {
    int out[2];
    if (pipe(out) != 0) return;
    args.insert(args.begin(), "serve");
    args.push_back("--listen");
    args.push_back("127.0.0.1:0");
    pid_ = Spawn(bin, args, -1, out[1], log_path);
    close(out[1]);
    out_ = out[0];
    // "rectrack: serving ... on http://127.0.0.1:PORT/"
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
      size_t at = line.find("http://127.0.0.1:");
      if (at != std::string::npos && line.find('/', at + 17) != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(line.substr(at + 17)));
        break;
      }
    }
  }
  ~ServeProcess() { Kill(SIGKILL); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  std::string log() const { return ReadWhole(log_path_); }
  // Sends `sig` and waits for the process to end; its exit status.
  int Kill(int sig) {
    if (pid_ <= 0) return exit_;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (out_ >= 0) close(out_);
    out_ = -1;
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_;
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  int exit_ = -1;
};

struct Reply {
  int status = 0;  // 0: no answer (connection refused or closed)
  std::string body;
  std::map<std::string, std::string, HeaderLess> headers;
  std::vector<std::pair<std::string, std::string>> all_headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One request on a connection of its own.
[[maybe_unused]] Reply Http(uint16_t port, const std::string& method, const std::string& target,
                            const std::vector<std::pair<std::string, std::string>>& headers = {},
                            const std::string& body = "") {
  Client c(port);
  if (!c.connected()) return {};
  // A loopback Host, as a browser on this machine names it: `serve` answers
  // only for its own names.
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (method == "POST" || !body.empty())
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!c.Send(req)) return {};
  auto r = c.Read(method == "HEAD");
  if (!r) return {};
  Reply out;
  out.status = r->status;
  out.body = std::move(r->body);
  out.headers = std::move(r->headers);
  out.all_headers = std::move(r->all_headers);
  return out;
}

}  // namespace
}  // namespace rectrack::web
