#include "dataplane/balancing/backend_table.h"
