#include "services/registry/employee_cache.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "absl/strings/str_split.h"

namespace netra::registry {
namespace {

void SetDate(const DateValue& d, netra::v1::Date* out) {
  out->set_year(d.year);
  out->set_month(d.month);
  out->set_day(d.day);
}

DateValue GetDate(const netra::v1::Date& d) { return DateValue{d.year(), d.month(), d.day()}; }

void SetTime(int64_t micros, google::protobuf::Timestamp* out) {
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

// Sets the snapshot and publishes the id in one round trip.
constexpr const char* kChangedScript = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('PUBLISH', ARGV[3], ARGV[4])
)lua";
// A batch's keys invalidated as Cache::Invalidate does one (a short-lived
// mark that a stale write-back cannot replace), and one message for them.
constexpr const char* kInvalidateScript = R"lua(
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return redis.call('PUBLISH', ARGV[3], ARGV[4])
)lua";

}  // namespace

void ToProto(const Employee& e, netra::v1::Employee* out) {
  out->set_employee_id(e.employee_id);
  out->set_employee_type(static_cast<netra::v1::EmployeeType>(e.employee_type));
  if (!e.nip.empty()) out->set_nip(e.nip);
  else if (!e.ni_pppk.empty()) out->set_ni_pppk(e.ni_pppk);
  else if (!e.agency_staff_id.empty()) out->set_agency_staff_id(e.agency_staff_id);
  out->set_name(e.name);
  out->set_gender(static_cast<netra::v1::Gender>(e.gender));
  SetDate(e.birth_date, out->mutable_birth_date());
  out->set_agency_code(e.agency_code);
  out->set_agency_name(e.agency_name);
  out->set_unit_code(e.unit_code);
  out->set_unit_name(e.unit_name);
  out->set_position(e.position);
  out->set_rank(e.rank);
  out->set_work_region_code(e.work_region_code);
  out->set_employment_status(static_cast<netra::v1::EmploymentStatus>(e.employment_status));
  if (!e.ppk.code.empty() || !e.ppk.name.empty() || !e.ppk.region_code.empty()) {
    out->mutable_ppk()->set_code(e.ppk.code);
    out->mutable_ppk()->set_name(e.ppk.name);
    out->mutable_ppk()->set_region_code(e.ppk.region_code);
  }
  out->set_disciplinary_state(static_cast<netra::v1::DisciplinaryState>(e.disciplinary_state));
  for (const auto& r : e.disciplinary_records) {
    auto* record = out->add_disciplinary_records();
    record->set_case_id(r.case_id);
    record->set_state(static_cast<netra::v1::DisciplinaryState>(r.state));
    record->set_level(static_cast<netra::v1::SanctionLevel>(r.level));
    for (int f : r.forms) record->add_forms(static_cast<netra::v1::SanctionForm>(f));
    record->set_decree_number(r.decree_number);
    if (!r.decree_date.empty()) SetDate(r.decree_date, record->mutable_decree_date());
    if (!r.end_date.empty()) SetDate(r.end_date, record->mutable_end_date());
    record->set_source_sequence(r.source_sequence);
    SetTime(r.update_micros, record->mutable_update_time());
  }
  out->set_nik_on_file(e.nik_on_file);
  out->set_version(e.version);
  SetTime(e.create_micros, out->mutable_create_time());
  SetTime(e.update_micros, out->mutable_update_time());
}

Employee FromProto(const netra::v1::Employee& in) {
  Employee e;
  FromProto(in, &e);
  return e;
}

void FromProto(const netra::v1::Employee& in, Employee* out) {
  Employee& e = *out;
  e.employee_type = in.employee_type();
  e.nip = in.nip();
  e.ni_pppk = in.ni_pppk();
  e.agency_staff_id = in.agency_staff_id();
  e.name = in.name();
  e.gender = in.gender();
  e.birth_date = in.has_birth_date() ? GetDate(in.birth_date()) : DateValue{};
  e.agency_code = in.agency_code();
  e.agency_name = in.agency_name();
  e.unit_code = in.unit_code();
  e.unit_name = in.unit_name();
  e.position = in.position();
  e.rank = in.rank();
  e.work_region_code = in.work_region_code();
  e.employment_status = static_cast<EmploymentStatus>(in.employment_status());
  e.ppk.code = in.ppk().code();
  e.ppk.name = in.ppk().name();
  e.ppk.region_code = in.ppk().region_code();
}

EmployeeCache::EmployeeCache(RedisClient& redis, prometheus::Registry& metrics, size_t local_entries)
    : redis_(redis),
      cache_(redis, "employee", metrics),
      shard_entries_(std::max<size_t>(local_entries / kShards, 1)),
      subscription_(
          redis, kChangedChannel,
          [this](std::string_view ids) {
            for (absl::string_view id : absl::StrSplit(absl::string_view(ids.data(), ids.size()), '\n')) {
              Forget(std::string_view(id.data(), id.size()));
            }
          },
          [this] { ForgetAll(); }) {
  auto& family = prometheus::BuildCounter()
                     .Name("netra_cache_requests_total")
                     .Help("Cache-aside lookups by cache and result (hit, miss, error = Redis unusable)")
                     .Register(metrics);
  local_hits_ = &family.Add({{"cache", "employee_local"}, {"result", "hit"}});
  local_misses_ = &family.Add({{"cache", "employee_local"}, {"result", "miss"}});
}

std::optional<Employee> EmployeeCache::GetOrLoad(const std::string& employee_id,
                                                 const std::function<std::optional<Employee>()>& load) {
  if (!subscription_.live()) return Load(employee_id, load);
  Shard& shard = ShardOf(employee_id);
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.copies.find(employee_id);
    if (it != shard.copies.end() && it->second.expires > std::chrono::steady_clock::now()) {
      local_hits_->Increment();
      return it->second.employee;
    }
    epoch = shard.epoch;
  }
  local_misses_->Increment();
  auto loaded = Load(employee_id, load);
  if (loaded && subscription_.live()) Keep(*loaded, epoch);
  return loaded;
}

void EmployeeCache::Keep(const Employee& employee, uint64_t epoch) {
  Shard& shard = ShardOf(employee.employee_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.epoch != epoch) return;
  if (shard.copies.size() >= shard_entries_ && !shard.copies.contains(employee.employee_id)) {
    shard.copies.erase(shard.copies.begin());  // any one: hot employees come back at once
  }
  shard.copies[employee.employee_id] = Copy{employee, std::chrono::steady_clock::now() + kLocalTtl};
}

void EmployeeCache::Forget(std::string_view employee_id) {
  const std::string id(employee_id);
  Shard& shard = ShardOf(id);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.copies.erase(id);
  ++shard.epoch;
}

void EmployeeCache::ForgetAll() {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.copies.clear();
    ++shard.epoch;
  }
}

std::optional<Employee> EmployeeCache::Load(const std::string& employee_id,
                                            const std::function<std::optional<Employee>()>& load) {
  std::optional<Employee> loaded;
  auto bytes = cache_.GetOrLoad(std::string(kKeyPrefix) + employee_id, kTtl, [&]() -> std::optional<std::string> {
    loaded = load();
    if (!loaded) return std::nullopt;
    netra::v1::Employee proto;
    ToProto(*loaded, &proto);
    return proto.SerializeAsString();
  });
  if (loaded || !bytes) return loaded;
  netra::v1::Employee proto;
  if (!proto.ParseFromString(*bytes) || proto.employee_id() != employee_id) {
    // A corrupt entry is dropped and the store answers.
    cache_.Invalidate(std::string(kKeyPrefix) + employee_id);
    return load();
  }
  Employee e = FromProto(proto);
  e.employee_id = proto.employee_id();
  e.disciplinary_state = static_cast<DisciplinaryState>(proto.disciplinary_state());
  for (const auto& r : proto.disciplinary_records()) {
    DisciplinaryRecord record;
    record.case_id = r.case_id();
    record.state = static_cast<DisciplinaryState>(r.state());
    record.level = r.level();
    for (int f : r.forms()) record.forms.push_back(f);
    record.decree_number = r.decree_number();
    if (r.has_decree_date()) record.decree_date = GetDate(r.decree_date());
    if (r.has_end_date()) record.end_date = GetDate(r.end_date());
    record.source_sequence = r.source_sequence();
    record.update_micros = r.update_time().seconds() * 1000000 + r.update_time().nanos() / 1000;
    e.disciplinary_records.push_back(std::move(record));
  }
  e.nik_on_file = proto.nik_on_file();
  e.version = proto.version();
  e.create_micros = proto.create_time().seconds() * 1000000 + proto.create_time().nanos() / 1000;
  e.update_micros = proto.update_time().seconds() * 1000000 + proto.update_time().nanos() / 1000;
  return e;
}

void EmployeeCache::Changed(const Employee& employee) {
  // This replica's copy goes at once (read-your-writes here); the message
  // reaches the other replicas, and this one too.
  Forget(employee.employee_id);
  netra::v1::Employee proto;
  ToProto(employee, &proto);
  redis_.Command({"EVAL", kChangedScript, "1", redis_.Key(std::string(kKeyPrefix) + employee.employee_id),
                  proto.SerializeAsString(), std::to_string(kTtl.count()), redis_.Key(kChangedChannel),
                  employee.employee_id});
}

void EmployeeCache::Invalidate(std::span<const std::string> employee_ids) {
  for (const auto& id : employee_ids) Forget(id);
  if (employee_ids.empty() || !redis_.up()) return;  // an open breaker: skip the work, not just the call
  // One command for a whole batch: every key marked, one message listing the ids.
  std::vector<std::string> eval{"EVAL", kInvalidateScript, std::to_string(employee_ids.size())};
  eval.reserve(employee_ids.size() + 7);
  std::string ids;
  for (const auto& id : employee_ids) {
    eval.push_back(redis_.Key(std::string(kKeyPrefix) + id));
    if (!ids.empty()) ids += '\n';
    ids += id;
  }
  eval.insert(eval.end(), {std::string(Cache::kInvalidated), std::to_string(Cache::kInvalidatedFor.count()),
                           redis_.Key(kChangedChannel), ids});
  redis_.Command(std::move(eval));
}

}  // namespace netra::registry
