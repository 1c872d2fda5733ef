#include "dataplane/http/http_error_page.h"
