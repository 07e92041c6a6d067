// What `ferry gateway status|report|refresh|notify-when-uploaded` ask a running gateway, over
// the mount's control socket (fs/control_server.h): one JSON request, one JSON answer.
//   {"op": "status"}                                  → counts (GatewayStatus)
//   {"op": "report", "state": "dirty|failed|all"}     → {"files": [...]}
//   {"op": "refresh", "paths": [...], "recursive": b} → {"notification_id", "changed"}
//   {"op": "notify-when-uploaded"}                    → {"notification_id"}
// Failures answer {"error": "..."}.
#pragma once

#include <nlohmann/json.hpp>

#include "gateway/event_log.h"
#include "gateway/gateway.h"

namespace ferry::gateway {

// events may be null (no --events file).
nlohmann::json AnswerControlRequest(Gateway& gateway, EventLog* events,
                                    const nlohmann::json& request);

}  // namespace ferry::gateway
