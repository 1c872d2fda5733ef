#include "dataplane/http/http_head_writer.h"
