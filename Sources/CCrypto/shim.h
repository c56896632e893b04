// Umbrella for OpenSSL's libcrypto (EVP digests, HMAC, Ed25519 keys and PEM). Only the Codecs module imports this.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
