// Child processes for end-to-end tests (see process.hpp).
#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace backflow::testing {
namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int& out_fd, int& err_fd) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    for (const auto& [k, v] : env)
      setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd = out_pipe[0];
  err_fd = err_pipe[0];
  fcntl(out_fd, F_SETFL, O_NONBLOCK);
  fcntl(err_fd, F_SETFL, O_NONBLOCK);
  return pid;
}

/// Reads whatever is available from the fds into the buffers; false when both are at EOF.
bool pump(int& out_fd, int& err_fd, std::string& out, std::string& err, int timeout_ms) {
  pollfd fds[2];
  int n = 0;
  if (out_fd >= 0)
    fds[n++] = {out_fd, POLLIN, 0};
  if (err_fd >= 0)
    fds[n++] = {err_fd, POLLIN, 0};
  if (n == 0)
    return false;
  poll(fds, static_cast<nfds_t>(n), timeout_ms);
  char buf[65536];
  for (int i = 0; i < n; ++i) {
    if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
      continue;
    int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
    std::string& target = fds[i].fd == out_fd ? out : err;
    for (;;) {
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        target.append(buf, static_cast<size_t>(r));
        continue;
      }
      if (r == 0) {
        close(fd);
        fd = -1;
      }
      break;
    }
  }
  return out_fd >= 0 || err_fd >= 0;
}

process_result finish(int status, std::string out, std::string err) {
  process_result r;
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.signal = WTERMSIG(status);
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

}  // namespace

process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           std::chrono::seconds timeout) {
  background_process p(argv, env);
  return p.wait(timeout);
}

background_process::background_process(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env) {
  pid_ = spawn(argv, env, out_fd_, err_fd_);
}

background_process::~background_process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (out_fd_ >= 0)
    close(out_fd_);
  if (err_fd_ >= 0)
    close(err_fd_);
}

std::string background_process::wait_for_line(const std::string& needle,
                                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t scanned = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto pos = out_buffer_.find(needle, scanned > needle.size() ? scanned - needle.size() : 0);
    if (pos != std::string::npos) {
      auto begin = out_buffer_.rfind('\n', pos);
      begin = begin == std::string::npos ? 0 : begin + 1;
      auto end = out_buffer_.find('\n', pos);
      if (end != std::string::npos)
        return out_buffer_.substr(begin, end - begin);
    }
    scanned = out_buffer_.size();
    if (!pump(out_fd_, err_fd_, out_buffer_, err_buffer_, 50) && out_fd_ < 0)
      break;
  }
  return {};
}

void background_process::signal(int sig) {
  if (!reaped_)
    ::kill(pid_, sig);
}

bool background_process::running() {
  if (reaped_)
    return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_)
    reaped_ = true;
  return !reaped_;
}

process_result background_process::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    pump(out_fd_, err_fd_, out_buffer_, err_buffer_, 20);
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
      err_buffer_ += "\n[test harness: killed after timeout]\n";
    }
  }
  while (pump(out_fd_, err_fd_, out_buffer_, err_buffer_, 20)) {
  }
  return finish(status_, out_buffer_, err_buffer_);
}

std::string binary_path(const std::string& name) {
  // scripts/sanitize-tests.sh points the Release build's tests at the sanitized backflow; ctest
  // itself sets BACKFLOW_BIN_DIR, so the override has its own name.
  if (const char* dir = std::getenv("BACKFLOW_BIN_DIR_OVERRIDE"); dir && name != "backflow-emulator")
    return std::string(dir) + "/" + name;
  const char* var = name == "backflow-emulator" ? "BACKFLOW_EMULATOR_BIN" : "BACKFLOW_BIN_DIR";
  const char* value = std::getenv(var);
  if (value == nullptr)
    throw std::runtime_error(std::string(var) + " is not set; run the tests through ctest");
  return name == "backflow-emulator" ? std::string(value) : std::string(value) + "/" + name;
}

std::string source_dir() {
  const char* value = std::getenv("BACKFLOW_SOURCE_DIR");
  if (value == nullptr)
    throw std::runtime_error("BACKFLOW_SOURCE_DIR is not set; run the tests through ctest");
  return value;
}

}  // namespace backflow::testing
