#include "cli/service_notify.h"

#include <systemd/sd-daemon.h>

namespace sbapi {

void notify_ready() { sd_notify(0, "READY=1"); }

void notify_stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace sbapi
