#include "dataplane/http/http_response_head.h"
