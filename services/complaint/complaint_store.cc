#include "services/complaint/complaint_store.h"

namespace netra::complaint {

std::optional<PublicStatus> ComplaintStore::FindPublicStatus(const std::string& tracking_code) {
  return db_.Read([&](Connection& c) -> std::optional<PublicStatus> {
    auto select = c.Prepare("SELECT status, received_at, updated_at FROM complaints WHERE tracking_code = ?1");
    select.Bind(1, tracking_code);
    if (!select.Step()) return std::nullopt;
    return PublicStatus{tracking_code, static_cast<ComplaintStatus>(select.ColumnInt64(0)), select.ColumnInt64(1),
                        select.ColumnInt64(2)};
  });
}

}  // namespace netra::complaint
