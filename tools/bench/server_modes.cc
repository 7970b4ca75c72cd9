// netra-bench-server-modes: the gRPC sync server API against the callback API,
// measured in one process on one machine in one go.
//
// For each concurrency, workload and server mode it starts a fresh server on a
// free loopback port, drives it with netra-loadgen's closed-loop driver over a
// netra::MakeChannel channel (the same client for every cell), and prints one
// table row: calls/s and latency percentiles.
//
//   workloads  echo          bare unary echo (the cost of the API itself)
//              sqlite        a blocking SQLite point read per call (netra::Database,
//                            Read = BEGIN DEFERRED; SELECT …; COMMIT) on a temp file
//              sqlite-write  a durable one-row INSERT per call (Write = BEGIN
//                            IMMEDIATE; INSERT; COMMIT with synchronous=FULL)
//              sleep         --sleep-ms of blocking wait per call (a stand-in for
//                            a blocking Redis or peer round trip)
//              (echo and sqlite by default; the others on request)
//   modes      sync           grpc::Service, handlers run on the sync server's threads
//              callback       CallbackService, handler work done inline in the reaction
//              callback-pool  CallbackService, work handed to a fixed pool of
//                             --pool-threads threads that then Finish() the call
//                             (sqlite only: an echo has nothing to hand off)
//
// `--serve MODE[:WORKLOAD] --listen HOST:PORT` serves one mode until SIGINT or
// SIGTERM instead, as a baseline target for `netra-loadgen --rpc Echo`.
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/tls.h"
#include "common/metrics.h"
#include "common/store.h"
#include "echo.grpc.pb.h"
#include "tools/loadgen/driver.h"

namespace {

using netra::bench::EchoRequest;
using netra::bench::EchoResponse;
using netra::bench::EchoService;

// --- the work a call does ----------------------------------------------------

constexpr netra::Migration kMigrations[] = {
    {1, "items",
     "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL);"
     "CREATE TABLE events (id INTEGER PRIMARY KEY, item INTEGER NOT NULL, payload BLOB NOT NULL);"},
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Fills the response; may block (the sqlite workload does).
  virtual grpc::Status Handle(const EchoRequest& request, EchoResponse* response) = 0;
};

class EchoWorkload : public Workload {
 public:
  grpc::Status Handle(const EchoRequest& request, EchoResponse* response) override {
    response->set_key(request.key());
    response->set_payload(request.payload());
    return grpc::Status::OK;
  }
};

class SqliteWorkload : public Workload {
 public:
  explicit SqliteWorkload(netra::Database& db) : db_(db) {}
  grpc::Status Handle(const EchoRequest& request, EchoResponse* response) override {
    try {
      bool found = db_.Read([&](netra::Connection& c) {
        auto select = c.Prepare("SELECT name FROM items WHERE id = ?1");
        select.Bind(1, request.key());
        if (!select.Step()) return false;
        response->set_name(select.ColumnText(0));
        return true;
      });
      if (!found) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such item");
    } catch (const netra::StoreError& e) {
      return grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
    response->set_key(request.key());
    response->set_payload(request.payload());
    return grpc::Status::OK;
  }

 private:
  netra::Database& db_;
};

class SqliteWriteWorkload : public Workload {
 public:
  explicit SqliteWriteWorkload(netra::Database& db) : db_(db) {}
  grpc::Status Handle(const EchoRequest& request, EchoResponse* response) override {
    try {
      db_.Write([&](netra::Connection& c) {
        auto insert = c.Prepare("INSERT INTO events (item, payload) VALUES (?1, ?2)");
        insert.Bind(1, request.key()).BindBlob(2, request.payload());
        insert.Run();
      });
    } catch (const netra::StoreError& e) {
      return grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
    response->set_key(request.key());
    return grpc::Status::OK;
  }

 private:
  netra::Database& db_;
};

class SleepWorkload : public Workload {
 public:
  explicit SleepWorkload(std::chrono::microseconds delay) : delay_(delay) {}
  grpc::Status Handle(const EchoRequest& request, EchoResponse* response) override {
    std::this_thread::sleep_for(delay_);
    response->set_key(request.key());
    response->set_payload(request.payload());
    return grpc::Status::OK;
  }

 private:
  std::chrono::microseconds delay_;
};

// A temp SQLite file with `rows` rows; removed on destruction.
class TempStore {
 public:
  bool Open(int rows, std::string* error) {
    char pattern[] = "/tmp/netra-bench-XXXXXX";
    if (!mkdtemp(pattern)) {
      *error = "mkdtemp failed";
      return false;
    }
    dir_ = pattern;
    db_ = netra::Database::Open(dir_ + "/bench.db", kMigrations, error);
    if (!db_) return false;
    db_->Write([&](netra::Connection& c) {
      auto insert = c.Prepare("INSERT INTO items (id, name, value) VALUES (?1, ?2, ?3)");
      for (int i = 1; i <= rows; ++i) {
        insert.Bind(1, i).Bind(2, "item-" + std::to_string(i)).Bind(3, std::string(100, 'v'));
        insert.Run();
      }
    });
    return true;
  }
  ~TempStore() {
    db_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  netra::Database& db() { return *db_; }

 private:
  std::string dir_;
  std::unique_ptr<netra::Database> db_;
};

// --- the server modes ---------------------------------------------------------

class SyncEcho final : public EchoService::Service {
 public:
  explicit SyncEcho(Workload& work) : work_(work) {}
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request, EchoResponse* response) override {
    return work_.Handle(*request, response);
  }

 private:
  Workload& work_;
};

class CallbackEcho final : public EchoService::CallbackService {
 public:
  explicit CallbackEcho(Workload& work) : work_(work) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(work_.Handle(*request, response));
    return reactor;
  }

 private:
  Workload& work_;
};

// A fixed set of threads running queued tasks (the usual way to do blocking
// work behind the callback API without blocking gRPC's own threads).
class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class CallbackPoolEcho final : public EchoService::CallbackService {
 public:
  CallbackPoolEcho(Workload& work, int threads) : work_(work), pool_(threads) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    auto* reactor = context->DefaultReactor();
    pool_.Post([this, reactor, request, response] { reactor->Finish(work_.Handle(*request, response)); });
    return reactor;
  }

 private:
  Workload& work_;
  ThreadPool pool_;
};

struct ServerOptions {
  int pool_threads = 8;
  int sync_max_threads = 0;  // 0 = gRPC's default (no limit)
  // When set, the services' RED metrics interceptor (common/metrics.h) is installed.
  netra::Metrics* metrics = nullptr;
  // When set, --serve listens over mutual TLS (the echo baseline of docs/performance.md).
  netra::TlsFiles tls;
};

// One running server of `mode` over `work`.
class BenchServer {
 public:
  bool Start(const std::string& mode, Workload& work, const std::string& listen, const ServerOptions& options,
             std::string* error) {
    if (mode == "sync") {
      service_ = std::make_unique<SyncEcho>(work);
    } else if (mode == "callback") {
      service_ = std::make_unique<CallbackEcho>(work);
    } else if (mode == "callback-pool") {
      service_ = std::make_unique<CallbackPoolEcho>(work, options.pool_threads);
    } else {
      *error = "unknown mode " + mode + " (sync, callback, callback-pool)";
      return false;
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen,
                             options.tls.empty()
                                 ? grpc::InsecureServerCredentials()
                                 : netra::ServerTlsCredentials(options.tls, netra::ClientCertificates::kRequired),
                             &port_);
    if (mode == "sync" && options.sync_max_threads > 0) {
      grpc::ResourceQuota quota("netra-bench");
      quota.SetMaxThreads(options.sync_max_threads);
      builder.SetResourceQuota(quota);
    }
    builder.RegisterService(service_.get());
    if (options.metrics) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
      interceptors.push_back(options.metrics->ServerInterceptorFactory());
      builder.experimental().SetInterceptorCreators(std::move(interceptors));
    }
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      *error = "cannot listen on " + listen;
      return false;
    }
    return true;
  }
  ~BenchServer() {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      server_->Wait();
    }
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// --- the client load -----------------------------------------------------------

// Echo calls with keys cycling over 1..rows (every key exists in the sqlite table).
netra::loadgen::StartCall EchoCalls(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int rows,
                                    int payload_bytes) {
  auto stubs = std::make_shared<std::vector<std::unique_ptr<EchoService::Stub>>>();
  for (const auto& channel : channels) stubs->push_back(EchoService::NewStub(channel));
  auto next_key = std::make_shared<std::atomic<int64_t>>(0);
  auto payload = std::make_shared<const std::string>(static_cast<size_t>(payload_bytes), 'p');
  return [stubs, next_key, payload, rows](size_t channel, grpc::ClientContext* context, netra::loadgen::Done done) {
    struct Call {
      EchoRequest request;
      EchoResponse response;
    };
    auto call = std::make_shared<Call>();
    call->request.set_key(next_key->fetch_add(1, std::memory_order_relaxed) % rows + 1);
    call->request.set_payload(*payload);
    (*stubs)[channel]->async()->Echo(context, &call->request, &call->response,
                                     [call, done = std::move(done)](grpc::Status status) { done(status); });
  };
}

struct Cell {
  std::string mode, workload;
  int concurrency;
  std::vector<netra::loadgen::LoadResult> runs;
};

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text + ",") {
    if (c == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  return out;
}

// The workload called `name`, or null (with *error set) if there is none.
std::unique_ptr<Workload> MakeWorkload(const std::string& name, netra::Database& db, int sleep_ms, std::string* error) {
  if (name == "echo") return std::make_unique<EchoWorkload>();
  if (name == "sqlite") return std::make_unique<SqliteWorkload>(db);
  if (name == "sqlite-write") return std::make_unique<SqliteWriteWorkload>(db);
  if (name == "sleep") return std::make_unique<SleepWorkload>(std::chrono::milliseconds(sleep_ms));
  *error = "unknown workload " + name + " (echo, sqlite, sqlite-write, sleep)";
  return nullptr;
}

int Serve(const std::string& spec, const std::string& listen, const ServerOptions& server_options, int rows,
          int sleep_ms) {
  auto colon = spec.find(':');
  std::string mode = spec.substr(0, colon);
  std::string workload = colon == std::string::npos ? "echo" : spec.substr(colon + 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before gRPC starts threads

  std::string error;
  TempStore store;
  if (!store.Open(rows, &error)) {
    std::cerr << "netra-bench-server-modes: cannot create the SQLite store: " << error << "\n";
    return 1;
  }
  auto work = MakeWorkload(workload, store.db(), sleep_ms, &error);
  if (!work) {
    std::cerr << "netra-bench-server-modes: " << error << "\n";
    return 2;
  }
  BenchServer server;
  if (!server.Start(mode, *work, listen, server_options, &error)) {
    std::cerr << "netra-bench-server-modes: " << error << "\n";
    return 1;
  }
  std::cerr << "serving " << mode << ":" << workload << " on port " << server.port() << " until SIGINT/SIGTERM\n";
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netra-bench-server-modes: gRPC sync vs callback server API, echo and SQLite workloads"};
  std::string concurrency_list = "1,16,64", mode_list = "sync,callback,callback-pool", workload_list = "echo,sqlite";
  netra::loadgen::LoadOptions load;
  load.duration_seconds = 5;
  load.warmup_seconds = 1;
  int repeats = 1, rows = 5000, payload_bytes = 64, sleep_ms = 1;
  ServerOptions server_options;
  std::string serve, listen = "127.0.0.1:0";
  app.add_option("--concurrency", concurrency_list, "Comma-separated calls in flight")->default_val(concurrency_list);
  app.add_option("--modes", mode_list, "Comma-separated server modes")->default_val(mode_list);
  app.add_option("--workloads", workload_list, "Comma-separated workloads (echo, sqlite, sqlite-write, sleep)")->default_val(workload_list);
  app.add_option("--seconds", load.duration_seconds, "Measured seconds per cell")->default_val(5)->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", load.warmup_seconds, "Warm-up seconds per cell")->default_val(1)->check(CLI::Range(0.0, 600.0));
  app.add_option("--repeat", repeats, "Rounds over the whole matrix (figures are medians)")
      ->default_val(1)
      ->check(CLI::Range(1, 100));
  app.add_option("--channels", load.channels, "Client channels per cell (one connection each)")->default_val(1)->check(CLI::Range(1, 64));
  app.add_option("--rows", rows, "Rows in the SQLite table")->default_val(rows)->check(CLI::Range(1, 10000000));
  app.add_option("--payload-bytes", payload_bytes, "Request payload size")->default_val(payload_bytes)->check(CLI::Range(0, 1 << 20));
  app.add_option("--sleep-ms", sleep_ms, "Blocking wait of the sleep workload")->default_val(sleep_ms)->check(CLI::Range(0, 10000));
  app.add_option("--pool-threads", server_options.pool_threads, "Threads of the callback-pool mode")
      ->default_val(8)
      ->check(CLI::Range(1, 1024));
  app.add_option("--sync-max-threads", server_options.sync_max_threads,
                 "ResourceQuota thread limit for the sync mode (0 = gRPC default, unlimited)")
      ->default_val(0)
      ->check(CLI::Range(0, 100000));
  bool metrics_interceptor = false;
  app.add_flag("--metrics-interceptor", metrics_interceptor,
               "Install the services' gRPC metrics interceptor (common/metrics.h) in every server");
  app.add_option("--serve", serve, "Only serve MODE[:WORKLOAD] on --listen until SIGINT/SIGTERM (a loadgen target)");
  app.add_option("--listen", listen, "Address for --serve")->default_val(listen);
  bool plaintext_ignored = false;  // --serve is plaintext unless TLS files are given
  netra::AddTlsFlags(app, server_options.tls, plaintext_ignored);
  CLI11_PARSE(app, argc, argv);

  netra::log::Init("netra-bench-server-modes", netra::log::Level::kWarn);
  netra::Metrics metrics("netra-bench-server-modes", "0");
  if (metrics_interceptor) server_options.metrics = &metrics;
  if (!serve.empty()) return Serve(serve, listen, server_options, rows, sleep_ms);

  std::vector<int> concurrencies;
  for (const auto& c : Split(concurrency_list)) concurrencies.push_back(std::stoi(c));
  auto modes = Split(mode_list);
  auto workloads = Split(workload_list);

  std::string error;
  TempStore store;
  if (!store.Open(rows, &error)) {
    std::cerr << "netra-bench-server-modes: cannot create the SQLite store: " << error << "\n";
    return 1;
  }
  std::map<std::string, std::unique_ptr<Workload>> work;
  for (const auto& w : workloads) {
    work[w] = MakeWorkload(w, store.db(), sleep_ms, &error);
    if (!work[w]) {
      std::cerr << "netra-bench-server-modes: " << error << "\n";
      return 2;
    }
  }

  std::vector<Cell> cells;
  for (int c : concurrencies) {
    for (const auto& w : workloads) {
      for (const auto& m : modes) {
        if (m == "callback-pool" && w == "echo") continue;  // nothing to hand off
        cells.push_back({m, w, c, {}});
      }
    }
  }
  double per_cell = load.warmup_seconds + load.duration_seconds;
  std::cerr << "netra-bench-server-modes: gRPC " << grpc::Version() << ", " << std::thread::hardware_concurrency()
            << " CPUs, " << cells.size() << " cells x " << repeats << " rounds x ~" << per_cell << " s = ~"
            << static_cast<int>(cells.size() * repeats * per_cell) << " s\n";

  for (int round = 1; round <= repeats; ++round) {
    for (auto& cell : cells) {
      BenchServer server;
      if (!server.Start(cell.mode, *work[cell.workload], "127.0.0.1:0", server_options, &error)) {
        std::cerr << "netra-bench-server-modes: " << error << "\n";
        return 1;
      }
      std::string target = "127.0.0.1:" + std::to_string(server.port());
      auto channels = netra::loadgen::MakeChannels(target, load.channels);
      for (const auto& channel : channels) {
        if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
          std::cerr << "netra-bench-server-modes: cannot connect to " << target << "\n";
          return 1;
        }
      }
      netra::loadgen::LoadOptions options = load;
      options.concurrency = cell.concurrency;
      auto result = netra::loadgen::RunLoad(options, EchoCalls(channels, rows, payload_bytes));
      std::string errors;
      for (const auto& [code, n] : result.errors) errors += " " + code + "=" + std::to_string(n);
      std::fprintf(stderr, "  round %d  %-13s %-12s c=%-4d %9.0f ok/s  p50 %.3f ms  p99 %.3f ms  errors:%s\n", round,
                   cell.mode.c_str(), cell.workload.c_str(), cell.concurrency, result.ok_per_second, result.p50_ms,
                   result.p99_ms, errors.empty() ? " 0" : errors.c_str());
      cell.runs.push_back(result);
    }
  }

  std::string sync_label = "sync";
  if (server_options.sync_max_threads > 0) sync_label += "(max " + std::to_string(server_options.sync_max_threads) + " thr)";
  std::string suffix = metrics_interceptor ? "+metrics" : "";
  // ok/s counts successful calls only; latency covers every call.
  std::printf("| mode | workload | concurrency | ok calls/s | p50 ms | p99 ms | errors |%s\n",
              repeats > 1 ? " ok/s min-max |" : "");
  std::printf("|---|---|---:|---:|---:|---:|---:|%s\n", repeats > 1 ? "---:|" : "");
  for (const auto& cell : cells) {
    std::vector<double> rate, p50, p99;
    int64_t errors = 0;
    for (const auto& r : cell.runs) {
      rate.push_back(r.ok_per_second);
      p50.push_back(r.p50_ms);
      p99.push_back(r.p99_ms);
      errors += r.calls - r.ok;
    }
    std::string mode = (cell.mode == "sync" ? sync_label : cell.mode) + suffix;
    std::printf("| %s | %s | %d | %.0f | %.3f | %.3f | %lld |", mode.c_str(), cell.workload.c_str(), cell.concurrency,
                Median(rate), Median(p50), Median(p99), static_cast<long long>(errors));
    if (repeats > 1) {
      std::printf(" %.0f-%.0f |", *std::min_element(rate.begin(), rate.end()), *std::max_element(rate.begin(), rate.end()));
    }
    std::printf("\n");
  }
  return 0;
}
