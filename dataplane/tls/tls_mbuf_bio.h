#pragma once

// The BIO between OpenSSL and a TlsStream's mbuf queues: reads copy
// ciphertext out of the received segments into OpenSSL's record buffer,
// writes copy records into mbufs that go to the transport as one chain.
// The method table is made once per process; a BIO is made per connection.

#include <openssl/types.h>

namespace dplb::dataplane {

class TlsStream;

BIO* new_mbuf_bio(TlsStream* stream);

}  // namespace dplb::dataplane
