// Umbrella for OpenSSL's libcrypto (EVP digests, HMAC). Only the Codecs module imports this.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
