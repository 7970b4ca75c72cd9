#include "tests/support/stats_attacker.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>

namespace netra::testing {
namespace {

namespace pb = google::protobuf;
using Form = std::vector<int>;  // the atoms a figure counts (sorted indices)

// ---------------------------------------------------------------------------
// Exact rationals (128-bit, overflow is an error rather than a wrong answer).

void Check(bool overflowed) {
  if (overflowed) throw std::overflow_error("the attacker's rational arithmetic overflowed");
}
__int128 Mul(__int128 a, __int128 b) {
  __int128 r = 0;
  Check(__builtin_mul_overflow(a, b, &r));
  return r;
}
__int128 Add(__int128 a, __int128 b) {
  __int128 r = 0;
  Check(__builtin_add_overflow(a, b, &r));
  return r;
}
__int128 Gcd(__int128 a, __int128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) a = std::exchange(b, a % b);
  return a;
}

struct Rational {
  __int128 n = 0, d = 1;
  Rational() = default;
  Rational(__int128 num, __int128 den = 1) : n(num), d(den) {
    if (d < 0) n = -n, d = -d;
    const __int128 g = Gcd(n, d);
    if (g > 1) n /= g, d /= g;
  }
  bool zero() const { return n == 0; }
  friend Rational operator*(Rational a, Rational b) {
    const __int128 g1 = Gcd(a.n, b.d), g2 = Gcd(b.n, a.d);
    return {Mul(a.n / (g1 ? g1 : 1), b.n / (g2 ? g2 : 1)), Mul(a.d / (g2 ? g2 : 1), b.d / (g1 ? g1 : 1))};
  }
  friend Rational operator-(Rational a, Rational b) {
    const __int128 g = Gcd(a.d, b.d);
    return {Add(Mul(a.n, b.d / g), -Mul(b.n, a.d / g)), Mul(a.d / g, b.d)};
  }
  friend Rational operator/(Rational a, Rational b) { return a * Rational(b.d, b.n); }
  friend bool operator==(Rational a, Rational b) { return a.n == b.n && a.d == b.d; }
};

// Reduced row echelon form, a row at a time.
class Elimination {
 public:
  explicit Elimination(size_t columns) : columns_(columns), rows_(columns) {}

  // Adds `form` = value; false when it contradicts the rows before it.
  bool Add(const Form& form, Rational value) {
    Row r{std::vector<Rational>(columns_), value};
    for (int atom : form) r.c[atom] = 1;
    Reduce(r);
    size_t pivot = 0;
    while (pivot < columns_ && r.c[pivot].zero()) ++pivot;
    if (pivot == columns_) return r.rhs.zero();
    const Rational scale = r.c[pivot];
    for (Rational& x : r.c) x = x / scale;
    r.rhs = r.rhs / scale;
    for (size_t p : pivots_) Eliminate(*rows_[p], pivot, r);
    rows_[pivot] = std::move(r);
    pivots_.push_back(pivot);
    return true;
  }

  // The value the rows give `form`, when they determine it.
  std::optional<Rational> Solve(const Form& form) const {
    Row r{std::vector<Rational>(columns_), 0};
    for (int atom : form) r.c[atom] = 1;
    Reduce(r);
    for (const Rational& x : r.c) {
      if (!x.zero()) return std::nullopt;
    }
    return Rational(0) - r.rhs;  // form - combination = 0 - value
  }

 private:
  struct Row {
    std::vector<Rational> c;
    Rational rhs;
  };
  static void Eliminate(Row& target, size_t column, const Row& by) {
    if (target.c[column].zero()) return;
    const Rational f = target.c[column];
    for (size_t i = 0; i < target.c.size(); ++i) {
      if (!by.c[i].zero()) target.c[i] = target.c[i] - f * by.c[i];
    }
    target.rhs = target.rhs - f * by.rhs;
  }
  void Reduce(Row& r) const {
    for (size_t p : pivots_) Eliminate(r, p, *rows_[p]);
  }

  size_t columns_;
  std::vector<std::optional<Row>> rows_;  // by pivot column
  std::vector<size_t> pivots_;
};

// ---------------------------------------------------------------------------
// Reading the answers

struct Figure {
  std::string family, where;
  Form form;
  bool suppressed = false;
  int64_t published = 0;
  int min_count = 0;  // the answer's
};

// What a breakdown's key selects, and the keys there are.
struct Breakdown {
  bool stages = false;
  std::function<bool(const StatAtom&, const std::string&)> matches;
  std::function<std::set<std::string>(const std::vector<StatAtom>&)> keys;
};

std::set<std::string> Statuses(const std::vector<StatAtom>& atoms, bool stage_rows) {
  std::set<std::string> out;
  for (const StatAtom& a : atoms) {
    if (a.stage_row == stage_rows) out.insert(a.status);
  }
  return out;
}

// Everything the attacker knows how to read; anything else is unreadable.
const std::map<std::string, Breakdown>& Breakdowns() {
  static const auto* known = new std::map<std::string, Breakdown>{
      {"by_status",
       {false, [](const StatAtom& a, const std::string& key) { return a.status == key; },
        [](const std::vector<StatAtom>& atoms) { return Statuses(atoms, false); }}},
      {"by_violation",
       {false, [](const StatAtom& a, const std::string& key) { return a.violations.count(key) > 0; },
        [](const std::vector<StatAtom>& atoms) {
          std::set<std::string> out;
          for (const StatAtom& a : atoms) out.insert(a.violations.begin(), a.violations.end());
          return out;
        }}},
      {"stage_times",
       {true, [](const StatAtom& a, const std::string& key) { return a.status == key; },
        [](const std::vector<StatAtom>& atoms) { return Statuses(atoms, true); }}},
  };
  return *known;
}
// Scalar figures of a region: an int64 X with a bool X_suppressed.
const std::map<std::string, bool>& Scalars() {  // name -> counts stage rows
  static const auto* known = new std::map<std::string, bool>{{"total", false}};
  return *known;
}

class Reader {
 public:
  Reader(const std::vector<StatAtom>& atoms, bool exact, AttackReport* report)
      : atoms_(atoms), exact_(exact), report_(report) {}

  void Read(const StatsAnswer& answer, const std::function<void(Figure)>& out) {
    const auto& q = answer.request;
    min_count_ = answer.response.min_count();
    auto micros = [](const google::protobuf::Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; };
    const int64_t after = q.has_received_after() ? micros(q.received_after()) : INT64_MIN;
    const int64_t before = q.has_received_before() ? micros(q.received_before()) : INT64_MAX;
    std::vector<int> in_scope;
    for (size_t i = 0; i < atoms_.size(); ++i) {
      const StatAtom& a = atoms_[i];
      const bool region = q.region_code().empty() || a.regency == q.region_code() ||
                          a.regency.rfind(q.region_code() + ".", 0) == 0;
      const bool election = q.election_id().empty() || a.election_id == q.election_id();
      const bool window = a.from_us >= after && a.to_us <= before;
      if (!window && a.to_us > after && a.from_us < before) {
        Unreadable("a window that splits an atom's time span");
        return;
      }
      if (region && election && window) in_scope.push_back(static_cast<int>(i));
    }
    const std::string query = "scope '" + q.region_code() + "' group " + std::to_string(q.group_by()) +
                              " election '" + q.election_id() + "' window [" +
                              (q.has_received_after() ? std::to_string(after) : "") + "," +
                              (q.has_received_before() ? std::to_string(before) : "") + ") min " +
                              std::to_string(q.min_count());
    const pb::Descriptor* top = answer.response.GetDescriptor();
    for (int i = 0; i < top->field_count(); ++i) {
      const pb::FieldDescriptor* f = top->field(i);
      if (f->name() != "total" && f->name() != "regions" && f->name() != "min_count" && f->name() != "compute_time") {
        Unreadable("GetComplaintStatsResponse." + f->name());
      }
    }
    ReadRegion(answer.response.total(), in_scope, "total", query + " total", out);
    // The regions of the breakdown; one absent had nothing in scope (an exact 0).
    const size_t length =
        q.group_by() == netra::v1::REGION_LEVEL_REGENCY || (q.group_by() == 0 && !q.region_code().empty()) ? 5 : 2;
    std::map<std::string, std::vector<int>> by_region;
    for (int i : in_scope) by_region[atoms_[i].regency.substr(0, length)].push_back(i);
    std::set<std::string> listed;
    for (const auto& region : answer.response.regions()) {
      listed.insert(region.region_code());
      ReadRegion(region, by_region[region.region_code()], "region", query + " region " + region.region_code(), out);
    }
    for (const auto& [code, members] : by_region) {
      if (listed.count(code)) continue;
      out({"region.absent", query + " region " + code + " (absent)", members, false, 0, min_count_});
    }
  }

 private:
  void ReadRegion(const pb::Message& region, const std::vector<int>& members, const std::string& level,
                  const std::string& where, const std::function<void(Figure)>& out) {
    const pb::Descriptor* d = region.GetDescriptor();
    const pb::Reflection* r = region.GetReflection();
    auto select = [&](bool stage_rows, const std::function<bool(const StatAtom&)>& keep) {
      Form form;
      for (int i : members) {
        if (atoms_[i].stage_row == stage_rows && keep(atoms_[i])) form.push_back(i);
      }
      return form;
    };
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* f = d->field(i);
      const std::string& name = f->name();
      if (name == "region_code" || name == "region_name") continue;
      if (f->type() == pb::FieldDescriptor::TYPE_BOOL && name.size() > 11 &&
          name.compare(name.size() - 11, 11, "_suppressed") == 0 && d->FindFieldByName(name.substr(0, name.size() - 11))) {
        continue;  // read with its figure
      }
      if (f->type() == pb::FieldDescriptor::TYPE_INT64 && !f->is_repeated()) {
        auto scalar = Scalars().find(name);
        const pb::FieldDescriptor* flag = d->FindFieldByName(name + "_suppressed");
        if (scalar == Scalars().end() || flag == nullptr) {
          Unreadable("RegionComplaintStats." + name);
          continue;
        }
        Emit(level + "." + name, where + " " + name, select(scalar->second, [](const StatAtom&) { return true; }),
             r->GetBool(region, flag), r->GetInt64(region, f), out);
        continue;
      }
      auto breakdown = Breakdowns().find(name);
      if (!f->is_repeated() || f->type() != pb::FieldDescriptor::TYPE_MESSAGE || breakdown == Breakdowns().end()) {
        Unreadable("RegionComplaintStats." + name);
        continue;
      }
      const Breakdown& b = breakdown->second;
      std::set<std::string> absent = b.keys(atoms_);
      for (int k = 0; k < r->FieldSize(region, f); ++k) {
        const pb::Message& item = r->GetRepeatedMessage(region, f, k);
        std::string key;
        bool suppressed = false;
        int64_t count = 0;
        if (const auto* c = dynamic_cast<const netra::v1::StatCount*>(&item)) {
          key = c->key(), suppressed = c->suppressed(), count = c->count();
        } else if (const auto* s = dynamic_cast<const netra::v1::StageTime*>(&item)) {
          key = netra::v1::ComplaintStatus_Name(s->stage()), suppressed = s->suppressed(), count = s->sample_count();
        } else {
          Unreadable("RegionComplaintStats." + name + " of " + item.GetDescriptor()->name());
          break;
        }
        absent.erase(key);
        Emit(level + "." + name, where + " " + name + " " + key,
             select(b.stages, [&](const StatAtom& a) { return b.matches(a, key); }), suppressed, count, out);
      }
      for (const std::string& key : absent) {  // not listed: none (an exact 0)
        out({level + "." + name + ".absent", where + " " + name + " " + key + " (absent)",
             select(b.stages, [&](const StatAtom& a) { return b.matches(a, key); }), false, 0, min_count_});
      }
    }
  }

  void Emit(const std::string& family, const std::string& where, Form form, bool suppressed, int64_t published,
            const std::function<void(Figure)>& out) {
    if (exact_) {  // as cell suppression alone publishes it
      published = True(form);
      suppressed = published > 0 && published < min_count_;
      if (suppressed) published = 0;
    }
    out({family, where, std::move(form), suppressed, published, min_count_});
  }

  void Unreadable(const std::string& what) {
    if (std::find(report_->unreadable.begin(), report_->unreadable.end(), what) == report_->unreadable.end()) {
      report_->unreadable.push_back(what);
    }
  }

 public:
  int64_t True(const Form& form) const {
    int64_t n = 0;
    for (int i : form) n += atoms_[i].count;
    return n;
  }

 private:
  const std::vector<StatAtom>& atoms_;
  bool exact_;
  AttackReport* report_;
  int min_count_ = 0;
};

int Root(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}


// Solves one view: equations (what a figure counts -> the values read for it).
// A suppressed figure is recovered when the view determines it, its
// equations do not contradict one another and the value is the truth.
void Solve(const std::vector<StatAtom>& atoms, const std::map<Form, std::set<int64_t>>& equations,
           const std::map<Form, std::string>& suppressed, const Reader& reader, std::set<Form>& determined, std::set<Form>& contradicted, std::map<Form, std::string>& recovered) {
  // Atoms tied by an equation form one component; a contradiction in a
  // component means its figures are not all exact, so a value derived there is
  // one of several the figures give, not a computed fact.
  std::vector<int> parent(atoms.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<int> contradicting;  // an atom of each contradicted equation
  Elimination elimination(atoms.size());
  for (const auto& [form, values] : equations) {
    for (int atom : form) parent[Root(parent, atom)] = Root(parent, form.front());
    if (values.size() > 1) contradicting.push_back(form.front());
    if (!elimination.Add(form, Rational(*values.begin()))) contradicting.push_back(form.front());
  }
  std::set<int> inconsistent;
  for (int atom : contradicting) inconsistent.insert(Root(parent, atom));
  for (const auto& [form, where] : suppressed) {
    auto value = elimination.Solve(form);
    if (!value) continue;
    determined.insert(form);
    bool consistent = true;
    for (int atom : form) consistent = consistent && inconsistent.count(Root(parent, atom)) == 0;
    if (!consistent) {
      contradicted.insert(form);
    } else if (*value == Rational(reader.True(form))) {
      recovered.emplace(form, where + " = " + std::to_string(reader.True(form)));
    }
  }
}

}  // namespace

AttackReport Attack(const std::vector<StatAtom>& atoms, const std::vector<StatsAnswer>& answers, bool exact) {
  AttackReport report;
  Reader reader(atoms, exact, &report);
  std::map<Form, std::set<int64_t>> published, zeros;  // what figures count -> values read
  std::map<Form, std::string> suppressed;              // suppressed figures: what they count -> where
  // What the suppression flags say of each figure, read as an attacker of
  // suppression reads them: published at minimum m, so at least m; suppressed
  // at m, so under m. Bounds that meet give an equation.
  std::map<Form, std::pair<int64_t, int64_t>> bounds;
  for (const StatsAnswer& answer : answers) {
    reader.Read(answer, [&](Figure figure) {
      if (figure.form.empty()) return;  // counts nothing in scope: 0 = 0
      auto& [low, high] = bounds.try_emplace(figure.form, 0, INT64_MAX).first->second;
      if (figure.suppressed) {
        suppressed.emplace(figure.form, figure.where);
        high = std::min<int64_t>(high, figure.min_count);
      } else {
        (figure.published == 0 ? zeros : published)[figure.form].insert(figure.published);
        if (figure.published > 0) low = std::max<int64_t>(low, figure.min_count);
      }
    });
  }
  std::map<Form, std::set<int64_t>> flagged;
  for (const auto& [form, bound] : bounds) {
    if (bound.second != INT64_MAX && bound.first + 1 == bound.second) flagged[form].insert(bound.first);
  }
  // The exact zeros (what is absent) belong to every view.
  auto with_zeros = [&zeros](std::map<Form, std::set<int64_t>> view) {
    for (const auto& [form, values] : zeros) view[form].insert(values.begin(), values.end());
    return view;
  };
  std::set<Form> determined, contradicted;
  std::map<Form, std::string> recovered;
  Solve(atoms, with_zeros(published), suppressed, reader, determined, contradicted, recovered);
  // The flags are a second source only where they pin a figure to a value it
  // is not published as; else each of their equations is a published figure
  // and their derivations are among those the published view refutes.
  for (const auto& [form, values] : flagged) {
    auto it = published.find(form);
    if (it == published.end() || !std::includes(it->second.begin(), it->second.end(), values.begin(), values.end())) {
      ++report.flags_informative;
    }
  }
  if (report.flags_informative > 0) {
    Solve(atoms, with_zeros(flagged), suppressed, reader, determined, contradicted, recovered);
  }
  for (const auto& [form, values] : with_zeros(published)) report.equations += static_cast<int>(values.size());
  report.suppressed = static_cast<int>(suppressed.size());
  report.determined = static_cast<int>(determined.size());
  report.recovered = static_cast<int>(recovered.size());
  for (const auto& [form, where] : recovered) {
    report.recovered_figures.push_back(where);
    contradicted.erase(form);
  }
  report.contradicted = static_cast<int>(contradicted.size());
  return report;
}

std::map<std::string, FamilyNoise> NoiseByFamily(const std::vector<StatAtom>& atoms,
                                                 const std::vector<StatsAnswer>& answers) {
  AttackReport ignored;
  Reader reader(atoms, false, &ignored);
  std::map<std::string, FamilyNoise> out;
  for (const StatsAnswer& answer : answers) {
    reader.Read(answer, [&](Figure figure) {
      const int64_t truth = reader.True(figure.form);
      if (figure.suppressed || truth == 0) return;
      FamilyNoise& family = out[figure.family];
      ++family.published;
      family.equal += figure.published == truth;
      family.largest_offset = std::max(family.largest_offset, std::abs(figure.published - truth));
    });
  }
  return out;
}

}  // namespace netra::testing
