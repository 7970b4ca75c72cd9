#include "services/complaint/public_intake.h"

namespace netra::complaint {

PublicIntakeHandler::PublicIntakeHandler(ComplaintHandler& handler) : handler_(handler) {
  ServeClientStream(this, "netra.v1.ComplaintService.UploadEvidence", &PublicIntakeHandler::UploadEvidenceStream,
                    &PublicIntakeHandler::MarkMethodStreamed);
}

}  // namespace netra::complaint
