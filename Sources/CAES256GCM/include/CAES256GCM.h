// AES-256-GCM (NIST SP 800-38D) on the x86 vector AES and carry-less multiply instructions
// (VAES, VPCLMULQDQ, AVX-512): sixteen blocks per step, four per 512-bit register. Streaming
// (begin, any number of updates of any length, finish), in place or not. Only the cipher lives
// here; CoffreCrypto's AES256GCM chooses it when coffre_aes256gcm_available() says so and keeps
// OpenSSL otherwise.
#ifndef COFFRE_CAES256GCM_H
#define COFFRE_CAES256GCM_H

#include <stddef.h>
#include <stdint.h>

/// One key and one message in progress. Holds key material: wipe it with
/// coffre_aes256gcm_wipe before freeing. Fields are private to the implementation.
typedef struct coffre_aes256gcm {
    uint8_t round_keys[15][16];  // FIPS 197 §5.2 key schedule, AES-256
    uint8_t hpow[16][16];        // hpow[j] = H^(16-j)·x, byte-reversed (see the .c file)
    uint8_t y[16];               // GHASH accumulator, byte-reversed
    uint8_t counter[16];         // next counter block, byte-reversed (inc32 = +1 on dword 0)
    uint8_t ek_j0[16];           // E(K, J0): masks the tag
    uint8_t keystream[16];       // keystream of the block in progress
    uint8_t pending[16];         // ciphertext bytes of the block in progress
    uint64_t aad_length;         // bytes of associated data of this message
    uint64_t text_length;        // bytes encrypted or decrypted so far
    uint32_t used;               // bytes of `keystream` used (0: no block in progress)
    uint32_t encrypting;
} coffre_aes256gcm;

/// 1 when this CPU and OS support everything used here (AES-NI, PCLMULQDQ, AVX-512 F/BW/VL,
/// VAES, VPCLMULQDQ, and the OS saving the ZMM state), else 0. Nothing else may be called
/// when it returns 0.
int coffre_aes256gcm_available(void);

/// Expands `key` (32 bytes) and derives the hash key's powers. Ends any message in progress.
void coffre_aes256gcm_set_key(coffre_aes256gcm *state, const uint8_t key[32]);

/// Starts a message under `nonce` (12 bytes, J0 = nonce ‖ 0^31 ‖ 1) with associated data.
void coffre_aes256gcm_begin(coffre_aes256gcm *state, const uint8_t nonce[12],
                            const uint8_t *aad, size_t aad_length, int encrypting);

/// Encrypts (or decrypts) `length` bytes of `input` into `output`, which may be the same
/// memory but must not otherwise overlap. Returns 0, doing nothing, when the message would
/// exceed GCM's limit of 2^36 - 32 bytes (SP 800-38D §5.2.1.1), else 1.
int coffre_aes256gcm_update(coffre_aes256gcm *state, const uint8_t *input, uint8_t *output,
                            size_t length);

/// Ends the message and writes its 16-byte tag (to compare in constant time when opening).
void coffre_aes256gcm_finish(coffre_aes256gcm *state, uint8_t tag[16]);

/// Overwrites every byte of `state` with zeros (not optimised away).
void coffre_aes256gcm_wipe(coffre_aes256gcm *state);

#endif
