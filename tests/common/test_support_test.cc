// Tests for tests/support (test_support.h): the free ports, temp dirs,
// subprocesses, Redis servers and HTTP client every other test stands on.
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::FreeLoopbackPort;
using netra::testing::ReadFile;
using netra::testing::RedisServer;
using netra::testing::Subprocess;
using netra::testing::TempDir;
using netra::testing::Timed;
using netra::testing::WaitUntil;

TEST(TestSupportTest, FreeLoopbackPortIsBindable) {
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(TestSupportTest, FreeLoopbackPortsAreReservedAndOutsideTheEphemeralRange) {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  std::set<int> ports;
  for (int i = 0; i < 20; ++i) {
    const int port = FreeLoopbackPort();
    ASSERT_GT(port, 0);
    EXPECT_LT(port, ephemeral_low);
    EXPECT_TRUE(ports.insert(port).second) << "port " << port << " handed out twice";
  }
  // Another test process asking now finds each of them locked.
  for (int port : ports) {
    const int fd = open(("/tmp/netra-test-ports/" + std::to_string(port)).c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_NE(flock(fd, LOCK_EX | LOCK_NB), 0) << "port " << port << " is not reserved";
    close(fd);
  }
}

TEST(TestSupportTest, TempDirIsRemovedRecursively) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/file.txt") << "data";
    std::ofstream(dir.File("top.txt")) << "data";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TestSupportTest, TempDirHonoursTmpdir) {
  TempDir outer;
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", outer.path().c_str(), 1);
  {
    TempDir inner;
    EXPECT_EQ(inner.path().rfind(outer.path() + "/", 0), 0u) << inner.path();
  }
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

TEST(TestSupportTest, WaitUntilIsBounded) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls >= 3; }, 5s, 1ms));
  EXPECT_EQ(calls, 3);
  const auto elapsed = Timed([] { EXPECT_FALSE(WaitUntil([] { return false; }, 100ms, 10ms)); });
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 1000ms);
}

TEST(TestSupportTest, SubprocessReportsExitCodeAndLogsOutput) {
  TempDir dir;
  const std::string log = dir.File("child.log");
  Subprocess child({"sh", "-c", "echo to-stdout; echo to-stderr >&2; echo \"$NETRA_TEST_VAR\"; exit 7"}, log,
                   {{"NETRA_TEST_VAR", "from-env"}});
  ASSERT_TRUE(child.started()) << child.error();
  EXPECT_GT(child.pid(), 0);
  EXPECT_EQ(child.Wait(5s), 7);
  EXPECT_EQ(child.Wait(0ms), 7);  // cached after reaping
  EXPECT_FALSE(child.Running());
  const std::string output = ReadFile(log);
  EXPECT_NE(output.find("to-stdout"), std::string::npos) << output;
  EXPECT_NE(output.find("to-stderr"), std::string::npos) << output;
  EXPECT_NE(output.find("from-env"), std::string::npos) << output;

  // The log is appended to, not truncated.
  Subprocess second({"sh", "-c", "echo second-run"}, log);
  EXPECT_EQ(second.Wait(5s), 0);
  EXPECT_NE(ReadFile(log).find("to-stdout"), std::string::npos);
  EXPECT_NE(ReadFile(log).find("second-run"), std::string::npos);
}

TEST(TestSupportTest, SubprocessSignalAndKill) {
  TempDir dir;
  Subprocess sleeper({"sleep", "30"}, dir.File("sleep.log"));
  ASSERT_TRUE(sleeper.started()) << sleeper.error();
  EXPECT_TRUE(sleeper.Running());
  EXPECT_FALSE(sleeper.Wait(50ms).has_value());
  EXPECT_TRUE(sleeper.Signal(SIGTERM));
  EXPECT_EQ(sleeper.Wait(5s), 128 + SIGTERM);
  EXPECT_FALSE(sleeper.Signal(SIGTERM));  // already reaped

  Subprocess other({"sleep", "30"}, dir.File("sleep2.log"));
  EXPECT_EQ(other.Kill(), 128 + SIGKILL);

  Subprocess missing({"/nonexistent/netra-no-such-program"}, dir.File("missing.log"));
  EXPECT_FALSE(missing.started());
  EXPECT_FALSE(missing.error().empty());
  EXPECT_FALSE(missing.Wait(10ms).has_value());
}

TEST(TestSupportTest, SubprocessDestructorKillsAndReaps) {
  TempDir dir;
  pid_t pid = -1;
  {
    Subprocess sleeper({"sleep", "30"}, dir.File("sleep.log"));
    ASSERT_TRUE(sleeper.started());
    pid = sleeper.pid();
  }
  errno = 0;
  EXPECT_EQ(kill(pid, 0), -1);  // gone and reaped (no zombie left to signal)
  EXPECT_EQ(errno, ESRCH);
}

TEST(TestSupportTest, RedisServerRestartsOnTheSamePort) {
  RedisServer server;
  ASSERT_TRUE(server.Start()) << server.log();
  const int port = server.port();
  EXPECT_EQ(server.url(), "redis://netra-test@127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(netra::testing::RedisPing(port));
  EXPECT_TRUE(server.Stop());
  EXPECT_FALSE(netra::testing::RedisPing(port));
  ASSERT_TRUE(server.Start()) << server.log();
  EXPECT_EQ(server.port(), port);
  EXPECT_TRUE(netra::testing::RedisPing(port));
}

// A one-shot HTTP server on a loopback port for HttpGet tests.
class OneShotHttpServer {
 public:
  explicit OneShotHttpServer(std::string response) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 4);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, response = std::move(response)] {
      const int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buffer[4096];
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(conn, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        request_ = request;
      }
      send(conn, response.data(), response.size(), MSG_NOSIGNAL);
      close(conn);
    });
  }
  ~OneShotHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string request() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string request_;
};

TEST(TestSupportTest, HttpGetReturnsTheBody) {
  OneShotHttpServer server("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nnetra_up 1\n");
  int status = 0;
  EXPECT_EQ(netra::testing::HttpGet(server.port(), "/metrics", &status), "netra_up 1\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(server.request().rfind("GET /metrics HTTP/1.0\r\n", 0), 0u) << server.request();
}

TEST(TestSupportTest, HttpGetDecodesChunkedBodies) {
  OneShotHttpServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(netra::testing::HttpGet(server.port(), "/metrics"), "hello world");
}

TEST(TestSupportTest, HttpGetFailsWithEmptyString) {
  {
    OneShotHttpServer server("HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
    int status = 0;
    EXPECT_EQ(netra::testing::HttpGet(server.port(), "/nope", &status), "");
    EXPECT_EQ(status, 404);
  }
  int status = -1;
  EXPECT_LT(Timed([&] { EXPECT_EQ(netra::testing::HttpGet(FreeLoopbackPort(), "/metrics", &status), ""); }), 1000ms);
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace netra
