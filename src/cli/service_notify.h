// Tells the service manager how `sbapi serve` is doing (systemd's sd_notify: packaging/
// sbapi.service is Type=notify). Without a manager listening ($NOTIFY_SOCKET unset) each call
// does nothing, so a server started by hand or by a test is unaffected.
#pragma once

namespace sbapi {

// The server is bound and serving: `systemctl start` may return.
void notify_ready();

// A graceful stop has begun.
void notify_stopping();

}  // namespace sbapi
