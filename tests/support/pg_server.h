// A throwaway PostgreSQL cluster for tests, from Debian's postgresql package
// (the model is RedisServer in test_support.h).
//
// initdb into a temp dir (or a copy of the first cluster this user made with
// the same PostgreSQL, kept in the system's temp dir), then `pg_ctl start` on a free loopback port, with
// fsync on (durability is what the tests check) and its socket in the temp
// dir. PostgreSQL refuses to run as root: when the tests are root, initdb and
// pg_ctl run as the `postgres` user (runuser) and the cluster's directory is
// theirs. Logins over TCP use SCRAM passwords, kept in a libpq password file
// (mode 0600) that the URLs name; the superuser is kAdmin. Replication
// connections are allowed on loopback and wal_level is replica, so that a
// test can make a standby with pg_basebackup.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace netra::testing {

class PgServer {
 public:
  static constexpr char kAdmin[] = "netra_admin";

  PgServer();   // picks a free port; does not initdb or start
  ~PgServer();  // pg_ctl stop -m fast; the directory is removed

  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The first call runs initdb. Starts the server and waits (up to 30 s)
  // until it accepts connections. A Start() after Stop() uses the same port
  // and data (restart tests). False on failure; log() shows why.
  bool Start();
  // pg_ctl stop -m fast (connections are ended). True if it was running.
  bool Stop();
  bool running() const { return running_; }

  int port() const { return port_; }
  // Creates a role `name` (a random password, in password_file()) owning a
  // new database `name`; returns its URL (ParseStoreUrl's "postgresql"), or ""
  // with an ADD_FAILURE.
  std::string CreateDatabase(const std::string& name);
  // postgresql://ROLE@127.0.0.1:PORT/DATABASE, naming password_file() in a
  // passfile parameter unless `with_passfile` is false.
  std::string Url(const std::string& role, const std::string& database, bool with_passfile = true) const;
  std::string AdminUrl(const std::string& database = "postgres") const { return Url(kAdmin, database); }
  // The libpq password file with every role's password.
  std::string password_file() const { return dir_.File("pgpass"); }
  // Runs `sql` as the superuser in `database`: "" on success, else the error.
  std::string AdminExec(const std::string& database, const std::string& sql) const;
  // The first column of the first row `sql` returns as the superuser; nullopt
  // on an error or no row.
  std::optional<std::string> AdminValue(const std::string& database, const std::string& sql) const;

  // Failover tests. Makes this (not yet started) server a streaming standby of
  // `primary` with pg_basebackup -R, starts it and waits until the primary
  // reports it streaming. Its password file holds the primary's roles (the
  // same cluster) for this port.
  bool StartStandbyOf(const PgServer& primary);
  // pg_ctl promote: the standby becomes a primary that takes writes.
  bool Promote();

  // For tests that drive the cluster themselves (pg_basebackup, pg_ctl promote).
  static std::string BinDir();  // where initdb, pg_ctl and pg_basebackup are
  const std::string& data_dir() const { return data_dir_; }
  // `argv` run as the cluster's owner (prefixed with runuser when root).
  std::vector<std::string> AsOwner(std::vector<std::string> argv) const;
  std::string log() const;

 private:
  bool Init(std::string* error);
  bool InitStandby(const PgServer& primary, std::string* error);
  // `argv` as the cluster's owner (RunTool), or as this process (RunAsSelf).
  bool RunTool(std::vector<std::string> argv, std::chrono::milliseconds timeout, std::string* error) const;
  bool RunAsSelf(std::vector<std::string> argv, std::chrono::milliseconds timeout, std::string* error) const;
  bool AcceptsConnections() const;
  void AddPassword(const std::string& role, const std::string& password) const;

  TempDir dir_;
  std::string cluster_dir_;  // owned by the cluster's user: data, socket, server log
  std::string data_dir_;
  int port_ = -1;
  bool initialized_ = false;
  bool running_ = false;
};

}  // namespace netra::testing

namespace netra::testing {

// One cluster for the whole test process, started on first use (a test
// binary's PostgreSQL tests share it, each in databases of its own); stopped
// at exit.
PgServer& SharedPgServer();

}  // namespace netra::testing
