#include "dataplane/http/http_body_framer.h"
