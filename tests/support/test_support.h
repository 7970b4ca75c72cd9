// Helpers for tests that run real processes (redis-server, the Netra services, netractl).
//
// Rules these helpers exist to enforce:
//  - wait for a condition with a bound (WaitUntil), never a fixed sleep as synchronisation;
//  - a failing test leaks no process (Subprocess's destructor SIGKILLs and reaps) and no
//    directory (TempDir removes itself);
//  - every child writes stdout+stderr to a log file that the test can print on failure
//    (ReadFile).
// None of these classes is safe for concurrent use of one object from several threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/redis.h"

namespace netra {
class RegionDirectory;
}

namespace netra::testing {

// The project's data/regions.csv, loaded once (a test failure if it does not load).
const RegionDirectory& ShippedRegions();


// A TCP port on 127.0.0.1, free now and reserved for this process until it exits: no
// other test process is handed it, and it lies below the kernel's ephemeral range, so
// no outgoing connection takes it either. A service told to listen on it can be
// stopped and restarted on the same port. Returns -1 if none could be found.
int FreeLoopbackPort();

// A fresh directory (mkdtemp under $TMPDIR, else /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Polls `condition` every `poll` until it returns true (-> true) or `timeout` passes (-> false).
// The condition is always evaluated at least once, and once more at the deadline.
bool WaitUntil(std::function<bool()> condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds{20});

// How long `f()` took (for tests that bound a call's time).
template <class F>
std::chrono::milliseconds Timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// `call` run twice at once, as call(1) and call(2) on two threads (two
// replicas answering the same request): both answers, in that order.
template <class Call>
auto AtOnce(Call call) {
  decltype(call(1)) one, two;
  std::thread other([&] { two = call(2); });
  one = call(1);
  other.join();
  return std::pair(one, two);
}

// The whole file, or "" if it cannot be read.
std::string ReadFile(const std::string& path);

// A child process. argv[0] is searched on PATH when it has no '/'. The child inherits the
// environment plus `extra_env` (which overrides), gets /dev/null as stdin, and appends its
// stdout and stderr to `log_path`.
class Subprocess {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;

  Subprocess(std::vector<std::string> argv, std::string log_path, Env extra_env = {});
  ~Subprocess();  // SIGKILL and reap if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // False when the program could not be started (see error()).
  bool started() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // Sends a signal if the child has not been reaped yet. False if it could not be sent.
  bool Signal(int signal);
  // Waits up to `timeout` for the child to exit and reaps it. Returns the exit code, or
  // 128 + signal number if a signal killed it; nullopt if still running at the deadline.
  // After the child was reaped, returns the same status again without waiting.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // True until the child has exited (reaps it if it has).
  bool Running();
  // SIGKILL and reap. Returns the exit status as Wait does (nullopt if never started).
  std::optional<int> Kill();

 private:
  bool Reap(bool block);

  std::string log_path_;
  std::string error_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A throwaway redis-server on 127.0.0.1 with no persistence, in its own temp directory, with
// ACLs on as in a deployment: deploy/redis/make-acl.sh makes its aclfile from
// deploy/redis/users.acl.in for the deployment "test" (keys netra:test:*), each service user
// with a random password in a file of its own; the default user is off. On top of those, the
// tests' own user (kTestUser) may run anything on any key, to set up and inspect.
class RedisServer {
 public:
  static constexpr char kTestUser[] = "netra-test";
  static constexpr char kDeployment[] = "test";

  RedisServer();   // picks a free port; does not start
  ~RedisServer();  // stops it

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server and waits (up to 10 s) until it answers PING. A later Start() after
  // Stop() reuses the same port (restart tests). On the very first start a port taken in the
  // meantime is replaced by another free port. False on failure; log() shows why.
  bool Start();
  // SIGTERM and wait for exit (SIGKILL after 10 s). True if it was running.
  bool Stop();
  bool running() const { return process_ != nullptr; }

  int port() const { return port_; }
  // redis://USER@127.0.0.1:PORT: the URL a service is given (with password_file(user)).
  std::string url(const std::string& user = kTestUser) const {
    return "redis://" + user + "@127.0.0.1:" + std::to_string(port_);
  }
  // The file holding `user`'s password (a service's --redis-password-file).
  std::string password_file(const std::string& user) const { return dir_.File("passwords/" + user); }
  std::string password(const std::string& user) const;
  // url(user) parsed, with the password and the prefix netra:test:, for a RedisClient.
  RedisOptions options(const std::string& user = kTestUser) const;
  // One command on a connection of its own, after AUTH as `user` with `password` (no AUTH
  // when user is empty), as redis-cli would: the reply as text ("OK", "<nil>", "7", array
  // elements joined with '|'), or "(error) " and the server's message; "(io error)".
  std::string RunAs(const std::string& user, const std::string& password, const std::vector<std::string>& argv) const;
  std::string RunAs(const std::string& user, const std::vector<std::string>& argv) const {
    return RunAs(user, password(user), argv);
  }
  // Every key and every value, of every type, as text (one per line), read as
  // kTestUser: for tests asserting that something never reached Redis.
  std::string Contents() const;
  // The server's pid, or -1 when it is not running (e.g. to SIGSTOP it for hang tests).
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const std::string& log_path() const { return log_path_; }
  std::string log() const { return ReadFile(log_path_); }

 private:
  bool StartOnce(std::string* error);
  bool WriteAclFile(std::string* error);

  TempDir dir_;
  std::string log_path_;
  int port_ = -1;
  bool ever_started_ = false;
  std::unique_ptr<Subprocess> process_;
};

// True if a redis server on 127.0.0.1:port answers PING within `timeout` (with PONG, or
// with NOAUTH when it wants a user first).
bool RedisPing(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds{200});

// Minimal blocking HTTP/1.0 GET http://127.0.0.1:port<path>. Returns the body of a 2xx
// response; "" on any failure (refused, timeout, non-2xx). *status (if not null) receives the
// HTTP status code, or 0 when no response was read. Handles chunked bodies.
std::string HttpGet(int port, std::string path, int* status = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

}  // namespace netra::testing
