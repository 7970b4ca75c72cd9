#include "tests/support/pg_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace netra::testing {
namespace {

constexpr char kOwner[] = "postgres";  // the cluster's user when the tests run as root

std::string RandomPassword() {
  std::random_device random;
  std::ostringstream out;
  out << std::hex << random() << random() << random() << random();
  return out.str();
}

// Gives `path` to the cluster's user (when root).
bool GiveToOwner(const std::string& path) {
  if (geteuid() != 0) return true;
  const passwd* owner = getpwnam(kOwner);
  return owner != nullptr && chown(path.c_str(), owner->pw_uid, owner->pw_gid) == 0;
}

// The arguments every test cluster is made with (with -D and --pwfile).
const std::vector<std::string>& InitdbOptions() {
  static const std::vector<std::string> options = {
      "-U", PgServer::kAdmin, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
      // initdb's own files need no fsync (a crashed test starts over); the server runs with fsync on.
      "-N"};
  return options;
}

// Where the clusters made by this user, with these PostgreSQL binaries and
// these arguments, keep the first one as made (the template): initdb is most
// of a test cluster's start (about 0.9 s of CPU), and some 170 PostgreSQL
// tests each start one, in processes of their own.
std::string TemplateDir(const std::string& bin) {
  std::string key = bin;
  for (const std::string& option : InitdbOptions()) key += " " + option;
  std::error_code ec;
  const auto server = bin + "/postgres";
  key += " " + std::to_string(std::filesystem::file_size(server, ec)) + " " +
         std::to_string(std::filesystem::last_write_time(server, ec).time_since_epoch().count());
  std::ostringstream name;
  name << "netra-pg-template-" << geteuid() << "-" << std::hex << std::hash<std::string>{}(key);
  return (std::filesystem::temp_directory_path(ec) / name.str()).string();
}

// The template is used only if it is a directory of ours that nobody else can
// touch (the temp dir is shared), and complete (it is renamed into place whole).
bool UsableTemplate(const std::string& dir) {
  struct stat info{};
  return lstat(dir.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == geteuid() &&
         (info.st_mode & 077) == 0 && std::filesystem::exists(dir + "/data/PG_VERSION") &&
         std::filesystem::exists(dir + "/admin-password");
}

}  // namespace

PgServer::PgServer() : port_(FreeLoopbackPort()) {
  cluster_dir_ = dir_.File("cluster");
  data_dir_ = cluster_dir_ + "/data";
}

PgServer::~PgServer() { Stop(); }

std::string PgServer::BinDir() {
  if (const char* dir = std::getenv("NETRA_PG_BINDIR"); dir != nullptr && *dir != '\0') return dir;
  // Debian's layout: /usr/lib/postgresql/<major>/bin; the newest installed.
  std::string best;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/pg_ctl") &&
        (best.empty() || std::stoi(entry.path().filename().string()) > std::stoi(std::filesystem::path(best).parent_path().filename().string()))) {
      best = bin;
    }
  }
  return best;
}

std::vector<std::string> PgServer::AsOwner(std::vector<std::string> argv) const {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"runuser", "-u", kOwner, "--"});
  return argv;
}

std::string PgServer::log() const {
  return ReadFile(dir_.File("tools.log")) + ReadFile(cluster_dir_ + "/server.log");
}

bool PgServer::RunTool(std::vector<std::string> argv, std::chrono::milliseconds timeout, std::string* error) const {
  return RunAsSelf(AsOwner(std::move(argv)), timeout, error);
}

bool PgServer::RunAsSelf(std::vector<std::string> argv, std::chrono::milliseconds timeout, std::string* error) const {
  Subprocess tool(std::move(argv), dir_.File("tools.log"));
  if (!tool.started()) {
    *error = tool.error();
    return false;
  }
  const auto status = tool.Wait(timeout);
  if (!status) {
    tool.Kill();
    *error = "timed out";
    return false;
  }
  if (*status != 0) {
    *error = "exit status " + std::to_string(*status);
    return false;
  }
  return true;
}

void PgServer::AddPassword(const std::string& role, const std::string& password) const {
  const std::string path = password_file();
  {
    std::ofstream out(path, std::ios::app);
    out << "127.0.0.1:" << port_ << ":*:" << role << ":" << password << "\n";
  }
  chmod(path.c_str(), 0600);  // libpq ignores a password file others can read
}

bool PgServer::Init(std::string* error) {
  const std::string bin = BinDir();
  if (bin.empty()) {
    *error = "no PostgreSQL server under /usr/lib/postgresql (tools/install-deps installs postgresql)";
    return false;
  }
  // The temp dir is traversable by the cluster's user; what is in it stays private.
  chmod(dir_.path().c_str(), 0711);
  std::filesystem::create_directories(cluster_dir_);
  chmod(cluster_dir_.c_str(), 0700);
  if (!GiveToOwner(cluster_dir_)) {
    *error = "cannot give the cluster directory to the user " + std::string(kOwner);
    return false;
  }
  // A copy of the template keeps the owner and modes (cp -a; root copies the
  // cluster user's files as theirs).
  const std::string template_dir = TemplateDir(bin);
  std::error_code ec;
  if (UsableTemplate(template_dir)) {
    std::string copy_error;
    if (RunAsSelf({"cp", "-a", template_dir + "/data", data_dir_}, std::chrono::seconds(60), &copy_error)) {
      AddPassword(kAdmin, ReadFile(template_dir + "/admin-password"));
      return true;
    }
    std::filesystem::remove_all(data_dir_, ec);  // and make a cluster of its own
  }
  const std::string admin_password = RandomPassword();
  const std::string pwfile = cluster_dir_ + "/initdb-password";
  std::ofstream(pwfile) << admin_password << "\n";
  if (!GiveToOwner(pwfile)) {
    *error = "cannot give the password file to the user " + std::string(kOwner);
    return false;
  }
  AddPassword(kAdmin, admin_password);
  std::vector<std::string> initdb = {bin + "/initdb", "-D", data_dir_, "--pwfile=" + pwfile};
  initdb.insert(initdb.end(), InitdbOptions().begin(), InitdbOptions().end());
  const bool ok = RunTool(std::move(initdb), std::chrono::seconds(60), error);
  std::filesystem::remove(pwfile);
  if (!ok) {
    *error = "initdb failed (" + *error + ")";
    return false;
  }
  // Kept as the template before the server first starts: built aside and
  // renamed into place, so that another test process sees all of it or none
  // (of two made at once, the first renamed stays).
  const std::string building = template_dir + ".building-" + std::to_string(getpid());
  std::filesystem::remove_all(building, ec);
  std::string ignored;
  if (mkdir(building.c_str(), 0700) == 0 &&
      RunAsSelf({"cp", "-a", data_dir_, building + "/data"}, std::chrono::seconds(60), &ignored)) {
    std::ofstream(building + "/admin-password") << admin_password;
    std::filesystem::rename(building, template_dir, ec);
  }
  std::filesystem::remove_all(building, ec);
  return true;
}

bool PgServer::AcceptsConnections() const {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres connect_timeout=2";
  return PQping(conninfo.c_str()) == PQPING_OK;
}

bool PgServer::Start() {
  if (running_) return true;
  std::string error;
  if (port_ <= 0) {
    ADD_FAILURE() << "no free port for PostgreSQL";
    return false;
  }
  if (!initialized_) {
    if (!Init(&error)) {
      ADD_FAILURE() << error << "\n" << log();
      return false;
    }
    initialized_ = true;
  }
  const std::string options = "-p " + std::to_string(port_) +
                              " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + cluster_dir_ +
                              " -c fsync=on -c wal_level=replica -c max_wal_senders=4 -c max_connections=100";
  if (!RunTool({BinDir() + "/pg_ctl", "-D", data_dir_, "-l", cluster_dir_ + "/server.log", "-o", options, "-w", "-t",
                "30", "start"},
               std::chrono::seconds(40), &error)) {
    ADD_FAILURE() << "pg_ctl start failed (" << error << ")\n" << log();
    return false;
  }
  running_ = true;
  if (!WaitUntil([&] { return AcceptsConnections(); }, std::chrono::seconds(30), std::chrono::milliseconds(20))) {
    ADD_FAILURE() << "PostgreSQL on port " << port_ << " does not accept connections\n" << log();
    return false;
  }
  return true;
}

bool PgServer::Stop() {
  if (!running_) return false;
  std::string error;
  if (!RunTool({BinDir() + "/pg_ctl", "-D", data_dir_, "-m", "fast", "-w", "-t", "30", "stop"},
               std::chrono::seconds(40), &error)) {
    ADD_FAILURE() << "pg_ctl stop failed (" << error << ")\n" << log();
  }
  running_ = false;
  return true;
}

std::string PgServer::Url(const std::string& role, const std::string& database, bool with_passfile) const {
  std::string url = "postgresql://" + role + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
  if (with_passfile) url += "?passfile=" + password_file();
  return url;
}

std::string PgServer::AdminExec(const std::string& database, const std::string& sql) const {
  PGconn* conn = PQconnectdb(AdminUrl(database).c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  return error;
}

std::string PgServer::CreateDatabase(const std::string& name) {
  const std::string password = RandomPassword();
  AddPassword(name, password);
  for (const std::string& sql : {"CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'",
                                 "CREATE DATABASE \"" + name + "\" OWNER \"" + name + "\""}) {
    if (std::string error = AdminExec("postgres", sql); !error.empty()) {
      ADD_FAILURE() << "cannot create database " << name << ": " << error;
      return "";
    }
  }
  return Url(name, name);
}

std::optional<std::string> PgServer::AdminValue(const std::string& database, const std::string& sql) const {
  PGconn* conn = PQconnectdb(AdminUrl(database).c_str());
  std::optional<std::string> value;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
    PQclear(result);
  }
  PQfinish(conn);
  return value;
}

bool PgServer::InitStandby(const PgServer& primary, std::string* error) {
  chmod(dir_.path().c_str(), 0711);
  std::filesystem::create_directories(cluster_dir_);
  chmod(cluster_dir_.c_str(), 0700);
  // The roles and passwords are the primary's (a physical copy): clients of
  // this server find them for this port, and the standby's own replication
  // connection (primary_conninfo, which -R writes) in a file its user can read.
  const std::string primary_passwords = ReadFile(primary.password_file());
  const std::string replication_passfile = cluster_dir_ + "/primary-pgpass";
  std::ofstream(replication_passfile) << primary_passwords;
  chmod(replication_passfile.c_str(), 0600);
  if (!GiveToOwner(cluster_dir_) || !GiveToOwner(replication_passfile)) {
    *error = "cannot give the cluster directory to the user " + std::string(kOwner);
    return false;
  }
  const std::string primary_prefix = "127.0.0.1:" + std::to_string(primary.port()) + ":";
  std::istringstream lines(primary_passwords);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(primary_prefix)) continue;
    const std::string rest = line.substr(primary_prefix.size());  // *:ROLE:PASSWORD
    const size_t role_end = rest.find(':', 2);
    AddPassword(rest.substr(2, role_end - 2), rest.substr(role_end + 1));
  }
  const std::string source = "host=127.0.0.1 port=" + std::to_string(primary.port()) + " user=" + kAdmin +
                             " passfile=" + replication_passfile;
  if (!RunTool({BinDir() + "/pg_basebackup", "-d", source, "-D", data_dir_, "-R", "-X", "stream", "-c", "fast"},
               std::chrono::seconds(60), error)) {
    *error = "pg_basebackup failed (" + *error + ")";
    return false;
  }
  return true;
}

bool PgServer::StartStandbyOf(const PgServer& primary) {
  std::string error;
  if (initialized_ || !InitStandby(primary, &error)) {
    ADD_FAILURE() << (initialized_ ? "already a cluster" : error) << "\n" << log();
    return false;
  }
  initialized_ = true;
  if (!Start()) return false;
  if (!WaitUntil(
          [&] {
            return primary.AdminValue("postgres", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") ==
                   "1";
          },
          std::chrono::seconds(30), std::chrono::milliseconds(20))) {
    ADD_FAILURE() << "the standby on port " << port_ << " does not stream from the primary\n" << log();
    return false;
  }
  return true;
}

bool PgServer::Promote() {
  std::string error;
  if (!RunTool({BinDir() + "/pg_ctl", "-D", data_dir_, "-w", "-t", "30", "promote"}, std::chrono::seconds(40),
               &error)) {
    ADD_FAILURE() << "pg_ctl promote failed (" << error << ")\n" << log();
    return false;
  }
  return true;
}

}  // namespace netra::testing

namespace netra::testing {

PgServer& SharedPgServer() {
  static PgServer* server = [] {
    static PgServer instance;
    instance.Start();
    return &instance;
  }();
  return *server;
}

}  // namespace netra::testing
