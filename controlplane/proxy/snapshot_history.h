#pragma once

// The proxy snapshots the control plane has published and which of them a
// worker may still be reading (see controlplane/versioned_history.h).

#include "controlplane/versioned_history.h"
#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {

using SnapshotHistory = VersionedHistory<dataplane::ProxySnapshot>;

}  // namespace dplb::controlplane
