// Shared by the Redis client's sources (redis.cc, redis_subscription.cc); not
// part of its interface.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cerrno>

namespace netra::redis_detail {

// hiredis writes with write(2): a write to a connection the server has closed would raise
// SIGPIPE and kill the process. Block SIGPIPE on this thread for the duration of a call and
// swallow one that became pending, leaving the process-wide disposition alone.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) return;  // already blocked
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    blocked_ = pthread_sigmask(SIG_BLOCK, &block, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    const int saved_errno = errno;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved_errno;
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool blocked_ = false;
  sigset_t old_{};
};

}  // namespace netra::redis_detail
