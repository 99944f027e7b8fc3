// SHA-256 compression (FIPS 180-4, section 6.2.2) with the x86 SHA extensions, one stream or two
// streams in lock-step. Only the block function lives here: padding, lengths and the streaming
// state are CoffreCrypto's (Swift). Callers must check coffre_sha256x2_available() first.
#ifndef COFFRE_CSHA256X2_H
#define COFFRE_CSHA256X2_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has SHA-NI, SSSE3 and SSE4.1 (CPUID leaf 7 EBX bit 29, leaf 1 ECX bits 9
/// and 19), else 0. The block functions below must not be called when it returns 0.
int coffre_sha256x2_available(void);

/// Runs the compression function over `blocks` 64-byte blocks of `data`, updating `state`
/// (H0..H7 as host-order words).
void coffre_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Runs the compression function over `blocks` 64-byte blocks of each of two independent
/// streams, interleaving their instructions so each hides the other's latency.
void coffre_sha256x2_blocks(uint32_t state_a[8], const uint8_t *data_a,
                                uint32_t state_b[8], const uint8_t *data_b, size_t blocks);

#endif
