#include "tools/gen-employees/generator.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tools/netractl/csv.h"
#include "tools/netractl/employee_csv.h"

namespace netra::tools {
namespace {

// xoshiro256** seeded through splitmix64: fast, and the same sequence on
// every platform (std:: distributions are not specified bit for bit).
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& word : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
  int Between(int low, int high) { return low + static_cast<int>(Below(static_cast<uint64_t>(high - low + 1))); }
  bool Percent(int p) { return Below(100) < static_cast<uint64_t>(p); }
  template <class T>
  const T& Pick(const std::vector<T>& items) { return items[Below(items.size())]; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// Picks an index with probability proportional to its weight.
class Weighted {
 public:
  explicit Weighted(const std::vector<int>& weights) {
    for (int w : weights) cumulative_.push_back((cumulative_.empty() ? 0 : cumulative_.back()) + w);
  }
  size_t Pick(Random& random) const {
    uint64_t x = random.Below(static_cast<uint64_t>(cumulative_.back()));
    size_t i = 0;
    while (static_cast<uint64_t>(cumulative_[i]) <= x) ++i;
    return i;
  }

 private:
  std::vector<int> cumulative_;
};

using Names = std::vector<std::string>;

// Naming traditions: given names by gender, optional second names (family
// names, marga, or Javanese-style second given names) by gender.
struct Culture {
  Names male, female, second_male, second_female;
  int second_percent;  // how often a second name follows
  enum class Style { kPlain, kBalinese, kBugis, kAceh } style = Style::kPlain;
};

const std::vector<Culture>& Cultures() {
  static const Names kChristianMale = {"Yohanes", "Paulus", "Fransiskus", "Stéfanus", "Petrus", "Markus", "Yosef",
                                       "Daniel", "Samuel", "Yakobus", "Andreas", "Benediktus", "Kristian", "Hendrik"};
  static const Names kChristianFemale = {"Maria", "Theresia", "Agustina", "Yohana", "Elisabeth", "Magdalena",
                                         "Kristina", "Veronika", "Debora", "Ester", "Margaretha", "Yuliana"};
  static const std::vector<Culture> kCultures = {
      // 0 Javanese
      {{"Budi", "Agus", "Slamet", "Wahyu", "Joko", "Eko", "Dwi", "Tri", "Bambang", "Sugeng", "Heru", "Bayu",
        "Teguh", "Suryo", "Hadi", "Sutrisno", "Priyo", "Yudi", "Bagus", "Rudi Hartono"},
       {"Sri", "Siti", "Dewi", "Endang", "Tri", "Wulan", "Rini", "Yuli", "Ratna", "Puji", "Sri Mulyani", "Retno",
        "Dyah", "Ayu", "Indah", "Wahyuningsih"},
       {"Santoso", "Prasetyo", "Wibowo", "Susanto", "Nugroho", "Setiawan", "Kurniawan", "Purnomo", "Saputro",
        "Widodo", "Hartono", "Sulistyo", "Raharjo", "Budiman"},
       {"Rahayu", "Lestari", "Wulandari", "Handayani", "Susilowati", "Puspitasari", "Wahyuni", "Astuti",
        "Kusumawati", "Pratiwi", "Rahmawati", "Nur Hidayati"},
       80},
      // 1 Sundanese
      {{"Asep", "Ujang", "Dédé", "Cécép", "Dadang", "Yayan", "Aep", "Iwan", "Deden", "Agus", "Dodi", "Encep"},
       {"Euis", "Enéng", "Iis", "Neng", "Endéh", "Yuyun", "Cucu", "Hérlina", "Rina", "Dewi", "Nining", "Imas"},
       {"Saepudin", "Suherman", "Sopandi", "Hidayat", "Kurnia", "Supriatna", "Rustandi", "Permana", "Sukmana",
        "Gunawan"},
       {"Rohayati", "Nurhayati", "Komariah", "Rosmiati", "Sumiati", "Kurniasih", "Marlina", "Juariah"},
       75},
      // 2 Islamic names common everywhere
      {{"Muhammad", "Ahmad", "Abdul", "Muhammad Rizki", "Ahmad Fauzi", "Ma'ruf", "Syafi'i", "Mu'min",
        "Abdul Rahman", "Hasan", "Husein", "Ilham", "Fajar", "Arif", "Rizal", "Nur Hadi"},
       {"Siti", "Nur", "Fatimah", "Aisyah", "Nur'aini", "Sa'adah", "Ni'mah", "Khadijah", "Zainab", "Annisa",
        "Fitri", "Siti Nurhaliza", "Nurul", "Laila"},
       {"Hidayat", "Rahman", "Hakim", "Fauzi", "Ramadhan", "Firdaus", "Maulana", "Syahputra", "Al-Farisi"},
       {"Az-Zahra", "Rahmawati", "Hasanah", "Fitriani", "Maharani", "Khairunnisa", "Mardiyah", "Nurjanah"},
       70},
      // 3 Batak
      {{"Rudi", "Tigor", "Poltak", "Maruli", "Parlindungan", "Hotman", "Saut", "Togar", "Benny", "Jhonson",
        "Ridwan", "Ahmad Syukri"},
       {"Rosmawati", "Tiurma", "Lamria", "Sondang", "Hotmauli", "Nurmala", "Rugun", "Maria", "Dame", "Sri Rezeki"},
       {"Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Hutapea", "Lubis", "Sinaga", "Panjaitan",
        "Pardede", "Situmorang", "Sihombing", "Simatupang", "Hutagalung", "Tampubolon", "Manurung"},
       {"Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Hutapea", "Lubis", "Sinaga", "Panjaitan",
        "br. Sembiring", "Situmorang", "Sihombing", "Simatupang", "br. Ginting", "Tampubolon", "Manurung"},
       97},
      // 4 Balinese: I/Ni + birth-order name + given name
      {{"Suarta", "Sudana", "Wirawan", "Ariana", "Suparta", "Darmawan", "Adnyana", "Mahendra", "Budiasa",
        "Sukadana", "Wiguna"},
       {"Sukerti", "Ariani", "Suartini", "Widiastuti", "Sri Wahyuni", "Ayu Lestari", "Puspitawati", "Sudiarti",
        "Mariani", "Yuliantari"},
       {"Wayan", "Made", "Nyoman", "Ketut", "Putu", "Gede", "Komang", "Kadek"},
       {"Wayan", "Made", "Nyoman", "Ketut", "Putu", "Luh Putu", "Komang", "Kadek", "Luh Made"},
       100, Culture::Style::kBalinese},
      // 5 Minangkabau
      {{"Afrizal", "Yusrizal", "Rahmat", "Zulkifli", "Syafrizal", "Alfian", "Irwan", "Erizal", "Novrizal"},
       {"Nofrita", "Yusnidar", "Rosnita", "Elfira", "Yulfitri", "Desmawati", "Syafrida", "Nurhasanah"},
       {"Hidayat", "Syahrial", "Datuak Rajo", "Putra", "Chaniago", "Piliang", "Tanjung", "Koto"},
       {"Yanti", "Hasni", "Chaniago", "Piliang", "Tanjung", "Koto", "Sari"},
       50},
      // 6 Bugis / Makassar (sometimes with the noble title Andi)
      {{"Muhammad", "Rahmat", "Syamsul", "Amiruddin", "Baharuddin", "Nasrullah", "Akbar", "Haerul", "Jusman"},
       {"Nurhayati", "Hasnawati", "Rosdiana", "Sitti", "Nurmiati", "Hasmawati", "Darmawati", "Sukmawati"},
       {"Alam", "Rahman", "Syam", "Makkasau", "Daeng Situju", "Mappiasse", "Arifin", "Paewa"},
       {"Arifin", "Rahman", "Syam", "Nur", "Mappiasse", "Sari"},
       60, Culture::Style::kBugis},
      // 7 Chinese-Indonesian
      {{"Hendra", "Budi", "Yohanes", "Antonius", "Kevin", "Stevanus", "William", "Hendrik", "Felix"},
       {"Stefani", "Lily", "Melati", "Yuliana", "Cindy", "Jessica", "Linda", "Meilani"},
       {"Wijaya", "Halim", "Gunawan", "Tanoto", "Santoso", "Salim", "Lie", "Tanujaya", "Kusuma", "Hartanto"},
       {"Wijaya", "Halim", "Gunawan", "Tanoto", "Santoso", "Salim", "Lie", "Tanujaya", "Kusuma", "Hartanto"},
       95},
      // 8 Minahasa / Manado
      {kChristianMale, kChristianFemale,
       {"Lumentut", "Rondonuwu", "Pangemanan", "Wenas", "Sumampouw", "Tambajong", "Kalangi", "Mandagi", "Runtuwene",
        "Lengkong", "Pinontoan"},
       {"Lumentut", "Rondonuwu", "Pangemanan", "Wenas", "Sumampouw", "Tambajong", "Kalangi", "Mandagi", "Runtuwene",
        "Lengkong", "Pinontoan"},
       98},
      // 9 Maluku
      {kChristianMale, kChristianFemale,
       {"Pattinama", "Latuconsina", "Pattiradjawane", "Sahetapy", "Tuhumury", "Ohorella", "Marasabessy", "Tuasikal",
        "Leiwakabessy", "Lekatompessy"},
       {"Pattinama", "Latuconsina", "Pattiradjawane", "Sahetapy", "Tuhumury", "Ohorella", "Marasabessy", "Tuasikal",
        "Leiwakabessy", "Lekatompessy"},
       98},
      // 10 Papua
      {{"Yulius", "Markus", "Yosias", "Nikolas", "Elias", "Obed", "Yakob", "Melkias", "Ferdinand", "Otto"},
       {"Yuliana", "Naomi", "Ribka", "Martha", "Dorkas", "Sarlota", "Agustina", "Mince", "Selvi"},
       {"Wonda", "Kogoya", "Wenda", "Rumbiak", "Kambu", "Yoku", "Mandowen", "Rumkorem", "Wanimbo", "Tabuni",
        "Murib", "Waromi"},
       {"Wonda", "Kogoya", "Wenda", "Rumbiak", "Kambu", "Yoku", "Mandowen", "Rumkorem", "Wanimbo", "Tabuni",
        "Murib", "Waromi"},
       98},
      // 11 Nusa Tenggara Timur
      {kChristianMale, kChristianFemale,
       {"Fanggidae", "Ndoen", "Manafe", "Tefa", "Bria", "Lake", "Nahak", "Bere", "Seran", "Nuwa", "Da Costa"},
       {"Fanggidae", "Ndoen", "Manafe", "Tefa", "Bria", "Lake", "Nahak", "Bere", "Seran", "Nuwa", "Da Costa"},
       95},
      // 12 Aceh (Teuku / Cut titles now and then)
      {{"Muhammad", "Zulfikar", "Iskandar", "Mukhlis", "Fadhil", "Rizki", "Safrizal", "Munawar", "Teuku Rizal"},
       {"Cut Meutia", "Nurul", "Rahmah", "Nurlaili", "Fitriani", "Safrina", "Raudhah", "Zahrah"},
       {"Hasballah", "Ibrahim", "Ismail", "Daud", "Usman", "Yusuf", "Jalil", "Amin"},
       {"Hasballah", "Ibrahim", "Ismail", "Daud", "Usman", "Yusuf", "Jalil", "Amin"},
       60, Culture::Style::kAceh},
  };
  return kCultures;
}

// Weights of the cultures above for a province; the default mix elsewhere.
std::vector<int> CultureWeights(const std::string& province) {
  int p = std::stoi(province);
  //                 Jav Sun Isl Bat Bal Min Bug Chi Man Mal Pap NTT Ace
  if (p == 11) return {10, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60};
  if (p == 12) return {15, 0, 20, 55, 0, 5, 0, 5, 0, 0, 0, 0, 0};
  if (p == 13) return {5, 0, 15, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0};
  if (p == 31) return {30, 15, 25, 10, 0, 5, 0, 10, 5, 0, 0, 0, 0};
  if (p == 32 || p == 36) return {15, 60, 20, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (p >= 33 && p <= 35) return {75, 0, 20, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0};
  if (p == 51) return {10, 0, 5, 0, 85, 0, 0, 0, 0, 0, 0, 0, 0};
  if (p == 52) return {20, 0, 70, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  if (p == 53) return {10, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 80, 0};
  if (p == 71) return {5, 0, 15, 0, 0, 0, 0, 0, 80, 0, 0, 0, 0};
  if (p >= 72 && p <= 76) return {10, 0, 25, 0, 0, 0, 65, 0, 0, 0, 0, 0, 0};
  if (p == 81 || p == 82) return {10, 0, 20, 0, 0, 0, 0, 0, 0, 70, 0, 0, 0};
  if (p >= 91) return {15, 0, 10, 0, 0, 0, 0, 0, 5, 10, 60, 0, 0};
  return {35, 5, 35, 5, 0, 5, 5, 5, 5, 0, 0, 0, 0};
}

enum class UnitKind { kGeneral, kEducation, kHealth };

struct UnitTemplate {
  const char* slug;
  const char* name;
  int weight;
  UnitKind kind;
};

const std::vector<UnitTemplate> kUnits = {
    {"setda", "Sekretariat Daerah", 6, UnitKind::kGeneral},
    {"setwan", "Sekretariat DPRD", 2, UnitKind::kGeneral},
    {"bkpsdm", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", 2, UnitKind::kGeneral},
    {"bappeda", "Badan Perencanaan Pembangunan Daerah", 2, UnitKind::kGeneral},
    {"bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah", 2, UnitKind::kGeneral},
    {"inspektorat", "Inspektorat Daerah", 1, UnitKind::kGeneral},
    {"disdik", "Dinas Pendidikan dan Kebudayaan", 40, UnitKind::kEducation},
    {"dinkes", "Dinas Kesehatan", 12, UnitKind::kHealth},
    {"rsud", "Rumah Sakit Umum Daerah", 8, UnitKind::kHealth},
    {"dpupr", "Dinas Pekerjaan Umum dan Penataan Ruang", 3, UnitKind::kGeneral},
    {"dinsos", "Dinas Sosial", 2, UnitKind::kGeneral},
    {"disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", 2, UnitKind::kGeneral},
    {"dishub", "Dinas Perhubungan", 2, UnitKind::kGeneral},
    {"dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", 1, UnitKind::kGeneral},
    {"satpolpp", "Satuan Polisi Pamong Praja", 3, UnitKind::kGeneral},
    {"dlh", "Dinas Lingkungan Hidup", 3, UnitKind::kGeneral},
    {"distan", "Dinas Pertanian dan Ketahanan Pangan", 3, UnitKind::kGeneral},
    {"kec", "Kecamatan", 6, UnitKind::kGeneral},  // one per kecamatan of a kab/kota
};

// Positions by unit kind and employee type (PNS, PPPK, PPNPN).
const Names& Positions(UnitKind kind, int type) {
  static const Names kPositions[3][3] = {
      {{"Analis Kebijakan Ahli Muda", "Pengadministrasi Perkantoran", "Pranata Komputer Ahli Pertama",
        "Kepala Bidang", "Kepala Seksi", "Kepala Subbagian Umum dan Kepegawaian", "Auditor Ahli Pertama",
        "Arsiparis Terampil", "Analis Sumber Daya Manusia Aparatur", "Penata Kelola Sistem dan Teknologi Informasi"},
       {"Penata Layanan Operasional", "Pengelola Umum Operasional", "Arsiparis Terampil",
        "Pranata Komputer Ahli Pertama", "Analis Kebijakan Ahli Pertama"},
       {"Tenaga Administrasi", "Pengemudi", "Petugas Kebersihan", "Petugas Keamanan", "Pramu Bakti"}},
      {{"Guru Ahli Pertama", "Guru Ahli Muda", "Guru Ahli Madya", "Kepala Sekolah", "Pengawas Sekolah",
        "Pengadministrasi Perkantoran"},
       {"Guru Ahli Pertama", "Guru Ahli Pertama", "Guru Ahli Muda", "Pustakawan Terampil"},
       {"Guru Honorer", "Tenaga Kependidikan", "Operator Sekolah", "Penjaga Sekolah"}},
      {{"Perawat Ahli Pertama", "Perawat Terampil", "Bidan Terampil", "Dokter Ahli Pertama", "Apoteker Ahli Pertama",
        "Pranata Laboratorium Kesehatan Terampil", "Sanitarian Terampil", "Kepala Puskesmas"},
       {"Perawat Ahli Pertama", "Perawat Terampil", "Bidan Terampil", "Dokter Ahli Pertama"},
       {"Tenaga Kesehatan Honorer", "Petugas Kebersihan", "Pengemudi Ambulans", "Tenaga Administrasi"}},
  };
  return kPositions[static_cast<int>(kind)][type];
}

const char* const kRanks[] = {"I/a",   "I/b",   "I/c",   "I/d",  "II/a", "II/b", "II/c", "II/d", "III/a",
                              "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c", "IV/d", "IV/e"};

struct Unit {
  std::string code, name;
  UnitKind kind;
};

struct Agency {
  std::string code, name, ppk_code, ppk_name, ppk_region;
  std::string work_region;  // empty: the province's; any of its kab/kota
  std::vector<Unit> units;
  std::unique_ptr<Weighted> unit_weights;
  int64_t next_staff_number = 1;
};

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

void AppendDigits(std::string& out, int64_t value, int width) {
  char buffer[24];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<size_t>(width));
}

std::string StripPrefix(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
}

}  // namespace

struct EmployeeGenerator::State {
  GeneratorOptions options;
  Random random{0};
  std::vector<Agency> agencies;
  std::unique_ptr<Weighted> agency_weights, culture_weights, type_weights;
  std::vector<std::string> regencies;                                   // kab/kota codes
  std::unordered_map<std::string, std::vector<std::string>> districts;  // kab/kota -> kecamatan digits
  std::vector<std::string> all_districts;
  std::unordered_set<uint64_t> employee_numbers, niks;  // NIP and NI PPPK share one space
  int64_t produced = 0;
  // NIP / NI PPPK serials start in a band of their own per province, so that
  // data sets of several provinces loaded together rarely share a number.
  int serial_base = 0;
  std::string field;

  std::string Name(bool female);
  void Row(std::string& out);
};

std::string EmployeeGenerator::State::Name(bool female) {
  const Culture& c = Cultures()[culture_weights->Pick(random)];
  const Names& given = female ? c.female : c.male;
  const Names& second = female ? c.second_female : c.second_male;
  std::string name;
  switch (c.style) {
    case Culture::Style::kBalinese:
      name = std::string(female ? "Ni " : "I ") + random.Pick(second) + " " + random.Pick(given);
      return name;
    case Culture::Style::kBugis:
      if (random.Percent(15)) name = "Andi ";
      break;
    case Culture::Style::kAceh:
      if (random.Percent(10)) name = female ? "Cut " : "Teuku ";
      break;
    case Culture::Style::kPlain:
      break;
  }
  name += random.Pick(given);
  if (random.Percent(c.second_percent)) name += " " + random.Pick(second);
  return name;
}

void EmployeeGenerator::State::Row(std::string& out) {
  // Type mix of DOMAIN.md section 1: PNS 3.7 M, PPPK 1.1 M, PPNPN 2.2 M.
  const int type = static_cast<int>(type_weights->Pick(random));  // 0 PNS, 1 PPPK, 2 PPNPN
  Agency& agency = agencies[agency_weights->Pick(random)];
  const Unit& unit = agency.units[agency.unit_weights->Pick(random)];
  const std::string& work_region = agency.work_region.empty() ? random.Pick(regencies) : agency.work_region;
  const bool female = random.Percent(type == 1 || unit.kind != UnitKind::kGeneral ? 60 : 45);

  // Ages keep every embedded date plausible: PNS join at 22-30, PPPK were
  // first appointed 2019-2024 at 20 or older.
  const int age = type == 0 ? random.Between(23, 57) : type == 1 ? random.Between(26, 56) : random.Between(20, 55);
  const int year = kReferenceYear - 1 - age + (random.Percent(50) ? 1 : 0);
  const int month = random.Between(1, 12);
  const int day = random.Between(1, DaysInMonth(year, month));

  std::string identifier;  // NIP or NI PPPK, 18 digits
  int rank = -1;
  if (type == 0 || type == 1) {
    int tmt_year = 0, tmt_month = 0, first_year = 0, agreements = 0;
    if (type == 0) {
      tmt_year = std::min(year + random.Between(22, 30), kReferenceYear - 1);
      tmt_month = random.Percent(40) ? 1 : random.Percent(50) ? 3 : random.Between(1, 12);
      const int entry = random.Percent(20) ? 4 : 8;  // II/a (diploma) or III/a (degree)
      rank = std::min(entry + (kReferenceYear - tmt_year) / 4, entry == 4 ? 11 : 16);
    } else {
      first_year = std::max(random.Between(2019, 2024), year + 20);
      agreements = random.Between(1, 3);
    }
    // A serial already taken moves to the next one (after all 999, to the next TMT month / agreement count).
    for (int attempt = 1, serial = serial_base + random.Between(1, 20);; ++attempt, serial = serial % 999 + 1) {
      if (attempt % 999 == 0) tmt_month = tmt_month % 12 + 1, agreements = agreements % 99 + 1;
      identifier.clear();
      AppendDigits(identifier, year, 4);
      AppendDigits(identifier, month, 2);
      AppendDigits(identifier, day, 2);
      AppendDigits(identifier, type == 0 ? tmt_year : first_year, 4);
      AppendDigits(identifier, type == 0 ? tmt_month : agreements, 2);
      identifier.push_back(female ? '2' : '1');
      AppendDigits(identifier, serial, 3);
      if (employee_numbers.insert(std::stoull(identifier)).second) break;
    }
  }

  std::string nik;
  if (random.Percent(97)) {
    // Registered where they live (mostly the kab/kota they work in).
    auto& near = districts[work_region];
    const std::string& district = near.empty() || random.Percent(20) ? random.Pick(all_districts) : random.Pick(near);
    for (int serial = random.Between(1, 50);; serial = serial % 9999 + 1) {
      nik = district;
      AppendDigits(nik, day + (female ? 40 : 0), 2);
      AppendDigits(nik, month, 2);
      AppendDigits(nik, year % 100, 2);
      AppendDigits(nik, serial, 4);
      if (niks.insert(std::stoull(nik)).second) break;
    }
  }

  static constexpr const char* kTypes[] = {"PNS", "PPPK", "PPNPN"};
  auto add = [&](std::string_view value, bool last = false) {
    AppendCsvField(out, value);
    out.push_back(last ? '\r' : ',');
    if (last) out.push_back('\n');
  };
  add(kTypes[type]);
  add(type == 0 ? identifier : "");
  add(type == 1 ? identifier : "");
  if (type == 2) {
    field = "PPNPN-";
    AppendDigits(field, agency.next_staff_number++, 6);
    add(field);
  } else {
    add("");
  }
  add(nik);
  add(Name(female));
  add(female ? "F" : "M");
  field.clear();
  AppendDigits(field, year, 4);
  field.push_back('-');
  AppendDigits(field, month, 2);
  field.push_back('-');
  AppendDigits(field, day, 2);
  add(field);
  add(agency.code);
  add(agency.name);
  add(unit.code);
  add(unit.name);
  add(random.Pick(Positions(unit.kind, type)));
  add(rank >= 0 ? kRanks[rank] : "");
  add(work_region);
  const uint64_t status = random.Below(1000);
  add(status < 970 ? "ACTIVE" : status < 985 ? "UNPAID_LEAVE" : status < 990 ? "RETIRED" : "DISMISSED");
  add(agency.ppk_code);
  add(agency.ppk_name);
  add(agency.ppk_region, true);
}

EmployeeGenerator::EmployeeGenerator(std::unique_ptr<State> state) : state_(std::move(state)) {}
EmployeeGenerator::~EmployeeGenerator() = default;

std::unique_ptr<EmployeeGenerator> EmployeeGenerator::Create(const RegionDirectory& regions,
                                                             const GeneratorOptions& options, std::string* error) {
  const Region* province = regions.Find(options.province);
  if (!province || province->level != RegionLevel::kProvince) {
    *error = "unknown province \"" + options.province + "\" (a 2-digit code from data/regions.csv, e.g. 33)";
    return nullptr;
  }
  if (options.count < 0 || options.count > 50'000'000) {
    *error = "--count must be 0-50,000,000";
    return nullptr;
  }
  auto state = std::make_unique<State>();
  state->options = options;
  // The province code joins the seed so that two provinces never share identifiers' serial patterns.
  state->random = Random(options.seed * 1000003ULL + static_cast<uint64_t>(std::stoi(options.province)));
  const std::string& province_name = province->name;
  auto provinces = regions.Children("");
  const auto position = std::find(provinces.begin(), provinces.end(), province) - provinces.begin();
  state->serial_base = static_cast<int>(position % 38) * 26;  // 38 bands of 26 within 001-999

  auto make_units = [](Agency& agency, const std::string& prefix, const std::vector<const Region*>& kecamatan) {
    std::vector<int> weights;
    for (const auto& unit : kUnits) {
      if (std::string_view(unit.slug) == "kec") {
        for (const Region* district : kecamatan) {
          agency.units.push_back(
              {prefix + "-kec-" + district->code, "Kecamatan " + district->name, UnitKind::kGeneral});
          weights.push_back(std::max(1, unit.weight * 100 / static_cast<int>(kecamatan.size())));
        }
        continue;
      }
      agency.units.push_back({prefix + "-" + unit.slug, unit.name, unit.kind});
      weights.push_back(unit.weight * 100);
    }
    agency.unit_weights = std::make_unique<Weighted>(weights);
  };

  // Jakarta's kab/kota are administrative, not autonomous: the governor is
  // every civil servant's PPK there.
  const bool administrative = options.province == "31";
  Agency provincial;
  provincial.code = "pemprov-" + options.province;
  provincial.name = "Pemerintah Provinsi " + province_name;
  provincial.ppk_code = "gubernur:" + options.province;
  provincial.ppk_name = "Gubernur " + province_name;
  provincial.ppk_region = options.province;
  make_units(provincial, options.province, {});
  std::vector<int> agency_weights = {0};  // set below: a tenth of all staff
  state->agencies.push_back(std::move(provincial));

  for (const Region* regency : regions.Descendants(options.province, RegionLevel::kRegency)) {
    state->regencies.push_back(regency->code);
    auto kecamatan = regions.Children(regency->code);
    for (const Region* district : kecamatan) {
      std::string digits = district->code.substr(0, 2) + district->code.substr(3, 2) + district->code.substr(6, 2);
      state->districts[regency->code].push_back(digits);
      state->all_districts.push_back(digits);
    }
    const bool city = regency->code.compare(3, 2, "71") >= 0;
    Agency agency;
    agency.code = (city ? "pemkot-" : "pemkab-") + regency->code;
    agency.name = "Pemerintah " + regency->name;
    agency.work_region = regency->code;
    if (administrative) {
      agency.ppk_code = state->agencies.front().ppk_code;
      agency.ppk_name = state->agencies.front().ppk_name;
      agency.ppk_region = options.province;
    } else {
      agency.ppk_code = (city ? "walikota:" : "bupati:") + regency->code;
      agency.ppk_name = city ? "Wali Kota " + StripPrefix(regency->name, "Kota ")
                             : "Bupati " + StripPrefix(regency->name, "Kabupaten ");
      agency.ppk_region = regency->code;
    }
    make_units(agency, regency->code, kecamatan);
    state->agencies.push_back(std::move(agency));
    agency_weights.push_back(9);
  }
  if (state->regencies.empty() || state->all_districts.empty()) {
    *error = "province " + options.province + " has no kabupaten/kota or kecamatan in the region data";
    return nullptr;
  }
  agency_weights[0] = std::max<int>(1, static_cast<int>(state->regencies.size()));
  state->agency_weights = std::make_unique<Weighted>(agency_weights);
  state->culture_weights = std::make_unique<Weighted>(CultureWeights(options.province));
  state->type_weights = std::make_unique<Weighted>(std::vector<int>{37, 11, 22});
  state->employee_numbers.reserve(static_cast<size_t>(std::min<int64_t>(options.count, 10'000'000)));
  state->niks.reserve(static_cast<size_t>(std::min<int64_t>(options.count, 10'000'000)));
  return std::unique_ptr<EmployeeGenerator>(new EmployeeGenerator(std::move(state)));
}

std::string EmployeeGenerator::HeaderLine() {
  std::string out;
  for (size_t i = 0; i < kEmployeeColumnNames.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(kEmployeeColumnNames[i]);
  }
  return out + "\r\n";
}

bool EmployeeGenerator::AppendNextRow(std::string& out) {
  if (state_->produced >= state_->options.count) return false;
  state_->Row(out);
  ++state_->produced;
  return true;
}

}  // namespace netra::tools
