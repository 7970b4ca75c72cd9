#include "tests/support/test_support.h"

#include <functional>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

#include "common/regions.h"

namespace netra::testing {

const RegionDirectory& ShippedRegions() {
  static const RegionDirectory directory = [] {
    std::string error;
    auto loaded = RegionDirectory::Load(NETRA_SOURCE_DIR "/data/regions.csv", &error);
    if (!loaded) {
      ADD_FAILURE() << error;
      return RegionDirectory();
    }
    return *loaded;
  }();
  return directory;
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

timeval ToTimeval(milliseconds ms) {
  const long long total = std::max<long long>(ms.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(total / 1000);
  tv.tv_usec = static_cast<suseconds_t>((total % 1000) * 1000);
  return tv;
}

void AppendToFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Decodes a chunked body; false if it is malformed or incomplete.
bool DecodeChunked(const std::string& raw, std::string* body) {
  size_t pos = 0;
  body->clear();
  while (true) {
    const size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) return false;
    const std::string size_text = raw.substr(pos, line_end - pos);
    char* end = nullptr;
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str()) return false;
    pos = line_end + 2;
    if (size == 0) return true;
    if (pos + size > raw.size()) return false;
    body->append(raw, pos, size);
    pos += size + 2;  // chunk data is followed by CRLF
  }
}

}  // namespace

namespace {

// The first port of the kernel's ephemeral range, from which it also picks the local
// ports of outgoing connections (gRPC clients, Redis pools); 32768 if it cannot be read.
int EphemeralPortFloor() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  if (!(in >> low) || low <= 0) return 32768;
  return low;
}

bool BindableOnLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreeLoopbackPort() {
  // A port taken from the ephemeral range could, between this call and the service's
  // bind, become the local end of some process's outgoing connection: a rare "Address
  // already in use" in a parallel test run. So ports come from just below that range,
  // and each is reserved for this process's lifetime by an flock on a file shared by
  // all test processes; the kernel releases it when the process exits, however it exits.
  static std::mutex mutex;
  static std::vector<int> held;  // lock descriptors, kept open until exit
  const std::lock_guard<std::mutex> lock(mutex);
  const int high = EphemeralPortFloor();  // exclusive
  const int low = std::max(1024, high - 16384);
  if (high - low < 1024) {
    // No room below the ephemeral range: fall back to one the kernel picks.
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }
  const std::string dir = "/tmp/netra-test-ports";
  if (mkdir(dir.c_str(), 01777) != 0 && errno != EEXIST) return -1;
  std::mt19937 random(std::random_device{}());
  const int span = high - low;
  const int start = static_cast<int>(random() % static_cast<unsigned>(span));
  for (int i = 0; i < span; ++i) {
    const int port = low + (start + i) % span;
    const std::string path = dir + "/" + std::to_string(port);
    const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    // flock locks belong to the open file description, so a port this process already
    // holds fails here too.
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      continue;
    }
    if (!BindableOnLoopback(port)) {  // in use by something outside the tests
      close(fd);
      continue;
    }
    held.push_back(fd);
    return port;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// TempDir

TempDir::TempDir() {
  const char* env = std::getenv("TMPDIR");
  std::string base = (env != nullptr && env[0] != '\0') ? env : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string pattern = base + "/netra-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---------------------------------------------------------------------------------------------

bool WaitUntil(std::function<bool()> condition, milliseconds timeout, milliseconds poll) {
  const Clock::time_point deadline = Clock::now() + timeout;
  poll = std::max(poll, milliseconds{1});
  while (true) {
    if (condition()) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(poll, deadline - now));
    if (Clock::now() >= deadline) return condition();
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Subprocess

Subprocess::Subprocess(std::vector<std::string> argv, std::string log_path, Env extra_env)
    : log_path_(std::move(log_path)) {
  if (argv.empty()) {
    error_ = "empty argv";
    return;
  }
  // Environment: inherited, with extra_env overriding.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(extra_env.begin(), extra_env.end(),
                                        [&name](const auto& kv) { return kv.first == name; });
    if (!overridden) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : extra_env) env_strings.push_back(name + "=" + value);

  std::vector<char*> argv_ptrs;
  for (std::string& arg : argv) argv_ptrs.push_back(arg.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (std::string& entry : env_strings) env_ptrs.push_back(entry.data());
  env_ptrs.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  // The child starts with no blocked signals and default dispositions, whatever the test
  // process (or a library in it) did to its own.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv_ptrs[0], &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error_ = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return;
  }
  pid_ = pid;
}

Subprocess::~Subprocess() {
  if (started() && !status_.has_value()) Kill();
}

bool Subprocess::Reap(bool block) {
  if (status_.has_value()) return true;
  if (!started()) return false;
  int raw = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &raw, block ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return false;
  if (rc < 0) {
    status_ = -1;  // ECHILD: someone else reaped it
    return true;
  }
  if (WIFEXITED(raw)) {
    status_ = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    status_ = 128 + WTERMSIG(raw);
  } else {
    status_ = -1;
  }
  return true;
}

bool Subprocess::Signal(int signal) {
  if (!started() || status_.has_value()) return false;
  return kill(pid_, signal) == 0;
}

std::optional<int> Subprocess::Wait(milliseconds timeout) {
  if (!started()) return std::nullopt;
  WaitUntil([this] { return Reap(false); }, timeout, milliseconds{5});
  return status_;
}

bool Subprocess::Running() { return started() && !Reap(false); }

std::optional<int> Subprocess::Kill() {
  if (!started()) return std::nullopt;
  if (!status_.has_value()) {
    kill(pid_, SIGKILL);
    Reap(true);
  }
  return status_;
}

// ---------------------------------------------------------------------------------------------
// RedisServer

RedisServer::RedisServer() : log_path_(dir_.File("redis-server.log")), port_(FreeLoopbackPort()) {
  std::filesystem::create_directories(dir_.File("passwords"));
  std::random_device random;
  for (const char* user : {"netra-registry", "netra-complaint", "netra-sanction", kTestUser}) {
    std::ostringstream password;
    password << std::hex << random() << random() << random() << random();
    std::ofstream(password_file(user)) << password.str() << "\n";  // a newline, as `echo` writes it
  }
}

RedisServer::~RedisServer() { Stop(); }

std::string RedisServer::password(const std::string& user) const {
  std::string error;
  return ReadRedisPassword(password_file(user), &error).value_or("");
}

RedisOptions RedisServer::options(const std::string& user) const {
  RedisOptions options = ParseRedisUrl(url(user), nullptr).value_or(RedisOptions{});
  options.password = password(user);
  options.key_prefix = std::string("netra:") + kDeployment + ":";
  return options;
}

namespace {

std::string ReplyText(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_NIL: return "<nil>";
    case REDIS_REPLY_INTEGER: return std::to_string(reply->integer);
    case REDIS_REPLY_ERROR: return "(error) " + std::string(reply->str, reply->len);
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < reply->elements; ++i) out += (i > 0 ? "|" : "") + ReplyText(reply->element[i]);
      return out;
    }
    default: return std::string(reply->str, reply->len);
  }
}

redisReply* SendArgv(redisContext* ctx, const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) pointers.push_back(arg.data()), lengths.push_back(arg.size());
  return static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), pointers.data(), lengths.data()));
}

}  // namespace

std::string RedisServer::RunAs(const std::string& user, const std::string& password,
                               const std::vector<std::string>& argv) const {
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port_, ToTimeval(milliseconds{2000}));
  if (ctx == nullptr) return "(io error)";
  std::string out = "(io error)";
  if (ctx->err == 0 && redisSetTimeout(ctx, ToTimeval(milliseconds{2000})) == REDIS_OK) {
    redisReply* auth = user.empty() ? nullptr : SendArgv(ctx, {"AUTH", user, password});
    if (auth != nullptr && auth->type == REDIS_REPLY_ERROR) out = ReplyText(auth);
    if (user.empty() || (auth != nullptr && auth->type != REDIS_REPLY_ERROR)) {
      if (redisReply* reply = SendArgv(ctx, argv)) {
        out = ReplyText(reply);
        freeReplyObject(reply);
      }
    }
    if (auth != nullptr) freeReplyObject(auth);
  }
  redisFree(ctx);
  return out;
}

// The deployment's rules from the one template, as ./dev stack and deploy/ make them, plus
// the tests' own user.
bool RedisServer::WriteAclFile(std::string* error) {
  const std::string acl = dir_.File("users.acl");
  if (std::filesystem::exists(acl)) return true;
  Subprocess make({NETRA_SOURCE_DIR "/deploy/redis/make-acl.sh", kDeployment, dir_.File("passwords"), acl},
                  log_path_);
  if (!make.started() || make.Wait(milliseconds{10000}) != 0) {
    *error = "deploy/redis/make-acl.sh failed";
    return false;
  }
  std::ofstream(acl, std::ios::app) << "user " << kTestUser << " on >" << password(kTestUser)
                                    << " ~* &* +@all\n";
  return true;
}

bool RedisServer::StartOnce(std::string* error) {
  if (!WriteAclFile(error)) return false;
  std::vector<std::string> argv = {"redis-server", "--port",      std::to_string(port_),
                                   "--bind",       "127.0.0.1",   "--save",
                                   "",             "--appendonly", "no",
                                   "--dir",        dir_.path(),   "--daemonize",
                                   "no",           "--logfile",   "",
                                   "--databases",  "16",          "--aclfile",
                                   dir_.File("users.acl")};
  process_ = std::make_unique<Subprocess>(argv, log_path_);
  if (!process_->started()) {
    *error = process_->error();
    process_.reset();
    return false;
  }
  const long our_pid = process_->pid();
  // Ready when it answers and it is our process (not another server on a reused port).
  auto reported_pid = [this] {
    const std::string info = RunAs(kTestUser, {"INFO", "server"});
    const size_t at = info.find("process_id:");
    return at == std::string::npos ? -1L : std::strtol(info.c_str() + at + 11, nullptr, 10);
  };
  const bool ready = WaitUntil([&] { return !process_->Running() || reported_pid() == our_pid; }, milliseconds{10000});
  if (!process_->Running()) {
    *error = "redis-server exited with status " + std::to_string(process_->Wait(milliseconds{0}).value_or(-1));
    process_.reset();
    return false;
  }
  if (!ready) {
    *error = "redis-server did not answer PING on port " + std::to_string(port_) + " within 10 s";
    process_->Kill();
    process_.reset();
    return false;
  }
  return true;
}

bool RedisServer::Start() {
  if (process_ != nullptr) return true;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string error;
    if (port_ > 0 && StartOnce(&error)) {
      ever_started_ = true;
      return true;
    }
    if (port_ <= 0) error = "no free loopback port";
    AppendToFile(log_path_, "[test_support] start failed: " + error + "\n");
    if (ever_started_) return false;  // restarts must keep the port
    port_ = FreeLoopbackPort();
  }
  return false;
}

bool RedisServer::Stop() {
  if (process_ == nullptr) return false;
  process_->Signal(SIGTERM);
  process_->Signal(SIGCONT);  // in case a test SIGSTOPped it
  if (!process_->Wait(milliseconds{10000}).has_value()) process_->Kill();
  process_.reset();
  return true;
}

bool RedisPing(int port, milliseconds timeout) {
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port, ToTimeval(timeout));
  if (ctx == nullptr) return false;
  bool ok = false;
  if (ctx->err == 0 && redisSetTimeout(ctx, ToTimeval(timeout)) == REDIS_OK) {
    auto* reply = static_cast<redisReply*>(redisCommand(ctx, "PING"));
    if (reply != nullptr) {
      const std::string text = reply->str != nullptr ? std::string(reply->str, reply->len) : std::string();
      ok = (reply->type == REDIS_REPLY_STATUS && text == "PONG") ||
           (reply->type == REDIS_REPLY_ERROR && text.rfind("NOAUTH", 0) == 0);
      freeReplyObject(reply);
    }
  }
  redisFree(ctx);
  return ok;
}

std::string RedisServer::Contents() const {
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port_, ToTimeval(milliseconds{5000}));
  if (ctx == nullptr) return "";
  if (ctx->err == 0) {
    const std::string secret = password(kTestUser);
    if (auto* auth = static_cast<redisReply*>(redisCommand(ctx, "AUTH %s %b", kTestUser, secret.data(), secret.size()))) {
      freeReplyObject(auth);
    }
  }
  std::string out;
  // Every element of a reply, nested, one per line.
  std::function<void(const redisReply*)> append = [&](const redisReply* r) {
    if (r == nullptr) return;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) out.append(r->str, r->len).append("\n");
    for (size_t i = 0; i < r->elements; ++i) append(r->element[i]);
  };
  std::vector<std::string> keys;
  if (ctx->err == 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(ctx, "KEYS *"));
    if (reply != nullptr) {
      for (size_t i = 0; i < reply->elements; ++i) keys.emplace_back(reply->element[i]->str, reply->element[i]->len);
      freeReplyObject(reply);
    }
  }
  for (const std::string& key : keys) {
    out += key + "\n";
    auto* type = static_cast<redisReply*>(redisCommand(ctx, "TYPE %b", key.data(), key.size()));
    const std::string kind = type != nullptr ? std::string(type->str, type->len) : "";
    if (type != nullptr) freeReplyObject(type);
    const char* command = kind == "string" ? "GET %b"
                          : kind == "hash" ? "HGETALL %b"
                          : kind == "list" ? "LRANGE %b 0 -1"
                          : kind == "set"  ? "SMEMBERS %b"
                          : kind == "zset" ? "ZRANGE %b 0 -1"
                                           : "XRANGE %b - +";
    auto* value = static_cast<redisReply*>(redisCommand(ctx, command, key.data(), key.size()));
    append(value);
    if (value != nullptr) freeReplyObject(value);
  }
  redisFree(ctx);
  return out;
}

// ---------------------------------------------------------------------------------------------
// HttpGet

std::string HttpGet(int port, std::string path, int* status, milliseconds timeout) {
  if (status != nullptr) *status = 0;
  if (path.empty() || path[0] != '/') path = "/" + path;
  const Clock::time_point deadline = Clock::now() + timeout;

  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  const timeval tv = ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));  // also bounds connect()

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";

  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nConnection: close\r\nAccept: */*\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    sent += static_cast<size_t>(n);
  }

  std::string response;
  char buffer[8192];
  while (true) {
    if (Clock::now() >= deadline) return "";
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";  // timeout or error
    if (n == 0) break;     // EOF: HTTP/1.0 response complete
    response.append(buffer, static_cast<size_t>(n));
  }

  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) return "";
  const std::string head = response.substr(0, header_end);
  std::string body = response.substr(header_end + 4);

  // Status line: HTTP/1.x NNN reason
  const size_t space = head.find(' ');
  if (head.compare(0, 5, "HTTP/") != 0 || space == std::string::npos) return "";
  const int code = std::atoi(head.c_str() + space + 1);
  if (status != nullptr) *status = code;

  const std::string lower_head = Lower(head);
  if (lower_head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    std::string decoded;
    if (!DecodeChunked(body, &decoded)) return "";
    body = std::move(decoded);
  } else if (const size_t at = lower_head.find("\r\ncontent-length:"); at != std::string::npos) {
    const size_t length = std::strtoul(lower_head.c_str() + at + 17, nullptr, 10);
    if (body.size() < length) return "";  // truncated
    body.resize(length);
  }
  if (code < 200 || code > 299) return "";
  return body;
}

}  // namespace netra::testing
