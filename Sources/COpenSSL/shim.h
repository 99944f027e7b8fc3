#ifndef COFFRE_COPENSSL_SHIM_H
#define COFFRE_COPENSSL_SHIM_H
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/proverr.h>
#include <openssl/bio.h>

/* Function-like macros Swift cannot import, wrapped as static inline functions. */

/* ---- crypto (CoffreCrypto) ---- */
static inline void coffre_openssl_free(void *p) { OPENSSL_free(p); }

/* ---- both (CryptoError, TLSError) ---- */
#include <string.h>
/* Empties the calling thread's OpenSSL error queue (ERR_get_error(3)) into `out` as its entries'
   texts (ERR_error_string_n(3): library, reason and code only) joined by "; ", truncated to fit
   and always NUL-terminated. Returns the number of entries drained. */
static inline int coffre_err_drain(char *out, size_t capacity) {
    size_t used = 0;
    int count = 0;
    unsigned long code;
    if (capacity > 0) out[0] = 0;
    while ((code = ERR_get_error()) != 0) {
        char entry[256];
        ERR_error_string_n(code, entry, sizeof entry);
        size_t length = strlen(entry);
        if (capacity > 0 && used + length + (count > 0 ? 2 : 0) < capacity) {
            if (count > 0) { memcpy(out + used, "; ", 2); used += 2; }
            memcpy(out + used, entry, length);
            used += length;
            out[used] = 0;
        }
        count += 1;
    }
    return count;
}

/* ---- TLS (HTTPServer/TLS) ---- */
#include <openssl/x509v3.h>
static inline int coffre_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long coffre_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long coffre_ssl_mode_accept_moving_write_buffer(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long coffre_ssl_mode_enable_partial_write(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline int coffre_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline uint64_t coffre_ssl_op_no_compression(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t coffre_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
#endif
