#include "dataplane/balancing/backend_balancer.h"
