// The mapping between the complaint domain (complaint.h, queries.h) and the
// netra.v1 messages: used by the handler, the peer adapters and the store's
// upgrade of release records, never by the domain.
#pragma once

#include "netra/v1/complaint.pb.h"
#include "netra/v1/registry.pb.h"
#include "services/complaint/complaint.h"
#include "services/complaint/queries.h"

namespace netra::complaint {

void ToProto(const Complaint& complaint, netra::v1::Complaint* out);
void ToProto(const Reporter& reporter, netra::v1::Reporter* out);
Complaint FromProto(const netra::v1::Complaint& complaint);
void ToProto(const Evidence& evidence, netra::v1::Evidence* out);
Evidence FromProto(const netra::v1::Evidence& evidence);
netra::v1::Deadline ToProto(const Deadline& deadline);

SubmitCommand ToCommand(const netra::v1::SubmitComplaintRequest& request);
TransitionCommand ToCommand(const netra::v1::TransitionComplaintRequest& request);
OutcomeCommand ToCommand(const netra::v1::RecordOutcomeRequest& request);
RevealCommand ToCommand(const netra::v1::RevealReporterRequest& request);
ListQuery ToQuery(const netra::v1::ListComplaintsRequest& request);
HistoryQuery ToQuery(const netra::v1::GetComplaintHistoryRequest& request);
StatsQuery ToQuery(const netra::v1::GetComplaintStatsRequest& request);

void ToProto(const ComplaintPage& page, netra::v1::ListComplaintsResponse* out);
void ToProto(const HistoryPage& page, netra::v1::GetComplaintHistoryResponse* out);
void ToProto(const ComplaintStats& stats, netra::v1::GetComplaintStatsResponse* out);
void ToProto(const PublicView& view, netra::v1::GetComplaintStatusResponse* out);

// The registry's answers as the complaint domain keeps them.
EmployeeRef FromProto(const netra::v1::Employee& employee);
ElectionTerms FromProto(const netra::v1::Election& election);

}  // namespace netra::complaint
