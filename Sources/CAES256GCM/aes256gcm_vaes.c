// AES-256-GCM (NIST SP 800-38D) with VAES and VPCLMULQDQ: the counter mode encrypts sixteen
// blocks per step, four in each 512-bit register, and GHASH multiplies those sixteen blocks by
// the precomputed powers H^16..H^1 and reduces once per step.
//
// GHASH arithmetic. GCM's field GF(2^128) orders each block's bits "reflected" (SP 800-38D
// §6.3: the first bit of the block is the coefficient of x^0). Reversing a block's bytes turns
// it into a 128-bit integer whose bit 127 is that coefficient; the carry-less product of two
// such integers is the reflected product shifted right by one bit, i.e. a·b/x in the field. So
// the hash key is stored pre-multiplied by x (H·x, "doubling" below), and each product is
// reduced modulo x^128 + x^7 + x^2 + x + 1 in its reflected form by two folds with the constant
// 0xC2 << 56 (the low terms x^7 + x^2 + x + 1 reflected, times x), each fold a carry-less
// multiply of the low 64 bits and a swap of the halves. Products of sixteen blocks are summed
// before one reduction: reduction is linear.
//
// Every function here assumes coffre_aes256gcm_available() returned 1.
#define _GNU_SOURCE
#include "CAES256GCM.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define COFFRE_GCM_TARGET \
    __attribute__((target("aes,pclmul,ssse3,sse4.1,avx,avx2,avx512f,avx512bw,avx512vl,vaes,vpclmulqdq")))

int coffre_aes256gcm_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int aes = (ecx >> 25) & 1, pclmul = (ecx >> 1) & 1, osxsave = (ecx >> 27) & 1;
    if (!(aes && pclmul && osxsave)) return 0;
    // XCR0 (Intel SDM vol. 1 §13.3): the OS saves SSE (bit 1), AVX (2), opmask (5) and both
    // halves of the ZMM registers (6, 7).
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
    const int vaes = (ecx >> 9) & 1, vpclmulqdq = (ecx >> 10) & 1;
    return avx2 && avx512f && avx512bw && avx512vl && vaes && vpclmulqdq;
}

// MARK: AES-256 (FIPS 197)

// w ^ (w << 32) ^ (w << 64) ^ (w << 96): each word of a round key XORed with the words before
// it, as the key schedule's recurrence w[i] = w[i-8] ^ … chains them (FIPS 197 §5.2).
COFFRE_GCM_TARGET static inline __m128i prefix_xor(__m128i words) {
    __m128i shifted = _mm_slli_si128(words, 4);
    words = _mm_xor_si128(words, shifted);
    shifted = _mm_slli_si128(shifted, 4);
    words = _mm_xor_si128(words, shifted);
    shifted = _mm_slli_si128(shifted, 4);
    return _mm_xor_si128(words, shifted);
}

// The next even round key (words 8k..8k+3 of the schedule): the previous even key's words
// prefix-XORed, then XORed with RotWord(SubWord(last word)) ^ Rcon, which AESKEYGENASSIST
// leaves in dword 3 of `assist`.
COFFRE_GCM_TARGET static inline __m128i next_even_key(__m128i previous, __m128i assist) {
    return _mm_xor_si128(prefix_xor(previous), _mm_shuffle_epi32(assist, 0xff));
}

// The next odd round key: as above with SubWord(last word of the new even key), no rotation and
// no Rcon (FIPS 197 §5.2, the Nk = 8 case), which AESKEYGENASSIST leaves in dword 2.
COFFRE_GCM_TARGET static inline __m128i next_odd_key(__m128i previous, __m128i even) {
    return _mm_xor_si128(prefix_xor(previous), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(even, 0), 0xaa));
}

COFFRE_GCM_TARGET static void expand_key(__m128i keys[15], const uint8_t key[32]) {
    keys[0] = _mm_loadu_si128((const __m128i *)key);
    keys[1] = _mm_loadu_si128((const __m128i *)(key + 16));
#define COFFRE_EVEN(i, rcon) keys[i] = next_even_key(keys[i - 2], _mm_aeskeygenassist_si128(keys[i - 1], rcon))
#define COFFRE_ODD(i) keys[i] = next_odd_key(keys[i - 2], keys[i - 1])
    COFFRE_EVEN(2, 0x01); COFFRE_ODD(3);
    COFFRE_EVEN(4, 0x02); COFFRE_ODD(5);
    COFFRE_EVEN(6, 0x04); COFFRE_ODD(7);
    COFFRE_EVEN(8, 0x08); COFFRE_ODD(9);
    COFFRE_EVEN(10, 0x10); COFFRE_ODD(11);
    COFFRE_EVEN(12, 0x20); COFFRE_ODD(13);
    COFFRE_EVEN(14, 0x40);
#undef COFFRE_EVEN
#undef COFFRE_ODD
}

COFFRE_GCM_TARGET static inline __m128i encrypt_block(const coffre_aes256gcm *state, __m128i block) {
    const __m128i *keys = (const __m128i *)state->round_keys;
    block = _mm_xor_si128(block, _mm_loadu_si128(&keys[0]));
    for (int round = 1; round < 14; round++) block = _mm_aesenc_si128(block, _mm_loadu_si128(&keys[round]));
    return _mm_aesenclast_si128(block, _mm_loadu_si128(&keys[14]));
}

// MARK: GHASH (SP 800-38D §6.4)

COFFRE_GCM_TARGET static inline __m128i byte_reversal_mask(void) {
    return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

COFFRE_GCM_TARGET static inline __m128i reversed(__m128i block) {
    return _mm_shuffle_epi8(block, byte_reversal_mask());
}

// x^128 + x^7 + x^2 + x + 1, reflected, as the two folds use it (see the top of the file).
COFFRE_GCM_TARGET static inline __m128i reduction_constant(void) {
    return _mm_set_epi64x((long long)0xC200000000000000ULL, 1);
}

// The 256-bit product (high, low) reduced to 128 bits.
COFFRE_GCM_TARGET static inline __m128i reduce(__m128i low, __m128i high) {
    const __m128i constant = reduction_constant();
    for (int fold = 0; fold < 2; fold++) {
        const __m128i product = _mm_clmulepi64_si128(low, constant, 0x10);
        low = _mm_xor_si128(_mm_shuffle_epi32(low, 0x4E), product);
    }
    return _mm_xor_si128(low, high);
}

// a · b / x, reduced: with b = H·x, the field product a · H.
COFFRE_GCM_TARGET static inline __m128i multiply(__m128i a, __m128i b) {
    __m128i low = _mm_clmulepi64_si128(a, b, 0x00);
    __m128i high = _mm_clmulepi64_si128(a, b, 0x11);
    const __m128i middle = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));
    low = _mm_xor_si128(low, _mm_slli_si128(middle, 8));
    high = _mm_xor_si128(high, _mm_srli_si128(middle, 8));
    return reduce(low, high);
}

// value · x: a one-bit shift left of the 128-bit integer, folding the bit shifted out back in
// as the reduction constant.
COFFRE_GCM_TARGET static inline __m128i times_x(__m128i value) {
    const __m128i carry_out = _mm_and_si128(_mm_srai_epi32(_mm_shuffle_epi32(value, 0xff), 31), reduction_constant());
    const __m128i carries = _mm_slli_si128(_mm_srli_epi32(value, 31), 4);
    return _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(value, 1), carries), carry_out);
}

// Hashes one 16-byte block (as it stands in memory) into the accumulator.
COFFRE_GCM_TARGET static inline __m128i hash_block(const coffre_aes256gcm *state, __m128i y, __m128i block) {
    const __m128i h = _mm_loadu_si128((const __m128i *)state->hpow[15]);
    return multiply(_mm_xor_si128(y, reversed(block)), h);
}

// The XOR of a 512-bit register's four 128-bit lanes.
COFFRE_GCM_TARGET static inline __m128i fold_lanes(__m512i lanes) {
    const __m256i half = _mm256_xor_si256(_mm512_castsi512_si256(lanes), _mm512_extracti64x4_epi64(lanes, 1));
    return _mm_xor_si128(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
}

// MARK: Messages

void coffre_aes256gcm_wipe(coffre_aes256gcm *state) {
    explicit_bzero(state, sizeof *state);
}

COFFRE_GCM_TARGET void coffre_aes256gcm_set_key(coffre_aes256gcm *state, const uint8_t key[32]) {
    coffre_aes256gcm_wipe(state);
    __m128i keys[15];
    expand_key(keys, key);
    for (int round = 0; round < 15; round++) _mm_storeu_si128((__m128i *)state->round_keys[round], keys[round]);
    explicit_bzero(keys, sizeof keys);
    // H = E(K, 0^128) (SP 800-38D §7.1 step 1), kept as H^k·x for k = 1...16.
    const __m128i h_x = times_x(reversed(encrypt_block(state, _mm_setzero_si128())));
    __m128i power = h_x;
    for (int k = 1; k <= 16; k++) {
        _mm_storeu_si128((__m128i *)state->hpow[16 - k], power);
        power = multiply(power, h_x);
    }
}

COFFRE_GCM_TARGET void coffre_aes256gcm_begin(coffre_aes256gcm *state, const uint8_t nonce[12],
                                              const uint8_t *aad, size_t aad_length, int encrypting) {
    // SP 800-38D §7.1 step 2: a 96-bit IV gives J0 = IV ‖ 0^31 ‖ 1.
    uint8_t j0[16];
    memcpy(j0, nonce, 12);
    j0[12] = 0; j0[13] = 0; j0[14] = 0; j0[15] = 1;
    const __m128i counter0 = _mm_loadu_si128((const __m128i *)j0);
    _mm_storeu_si128((__m128i *)state->ek_j0, encrypt_block(state, counter0));
    // Byte-reversed, the 32-bit counter is dword 0 (little-endian): inc32 is an add there.
    const __m128i first = _mm_add_epi32(reversed(counter0), _mm_set_epi32(0, 0, 0, 1));
    _mm_storeu_si128((__m128i *)state->counter, first);
    memset(state->keystream, 0, 16);
    memset(state->pending, 0, 16);
    state->used = 0;
    state->text_length = 0;
    state->aad_length = aad_length;
    state->encrypting = encrypting ? 1 : 0;

    __m128i y = _mm_setzero_si128();
    size_t offset = 0;
    for (; offset + 16 <= aad_length; offset += 16) y = hash_block(state, y, _mm_loadu_si128((const __m128i *)(aad + offset)));
    if (offset < aad_length) {
        uint8_t last[16] = {0};
        memcpy(last, aad + offset, aad_length - offset);
        y = hash_block(state, y, _mm_loadu_si128((const __m128i *)last));
    }
    _mm_storeu_si128((__m128i *)state->y, y);
}

// Sixteen blocks per step: counters, fourteen rounds on four registers, XOR, and the GHASH of
// the ciphertext (the output when encrypting, the input when decrypting) against H^16..H^1.
// Returns the bytes consumed (a multiple of 256).
COFFRE_GCM_TARGET static size_t update_wide(coffre_aes256gcm *state, const uint8_t *input, uint8_t *output, size_t length) {
    if (length < 256) return 0;
    const __m512i reversal = _mm512_broadcast_i32x4(byte_reversal_mask());
    __m512i keys[15];
    for (int round = 0; round < 15; round++) keys[round] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)state->round_keys[round]));
    const __m512i powers0 = _mm512_loadu_si512(state->hpow[0]);
    const __m512i powers1 = _mm512_loadu_si512(state->hpow[4]);
    const __m512i powers2 = _mm512_loadu_si512(state->hpow[8]);
    const __m512i powers3 = _mm512_loadu_si512(state->hpow[12]);
    const __m512i four = _mm512_broadcast_i32x4(_mm_set_epi32(0, 0, 0, 4));
    const __m512i sixteen = _mm512_broadcast_i32x4(_mm_set_epi32(0, 0, 0, 16));
    __m512i counters0 = _mm512_add_epi32(
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)state->counter)),
        _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));
    __m512i counters1 = _mm512_add_epi32(counters0, four);
    __m512i counters2 = _mm512_add_epi32(counters1, four);
    __m512i counters3 = _mm512_add_epi32(counters2, four);
    __m128i y = _mm_loadu_si128((const __m128i *)state->y);
    const int encrypting = state->encrypting;

    size_t done = 0;
    for (; done + 256 <= length; done += 256) {
        __m512i block0 = _mm512_xor_si512(_mm512_shuffle_epi8(counters0, reversal), keys[0]);
        __m512i block1 = _mm512_xor_si512(_mm512_shuffle_epi8(counters1, reversal), keys[0]);
        __m512i block2 = _mm512_xor_si512(_mm512_shuffle_epi8(counters2, reversal), keys[0]);
        __m512i block3 = _mm512_xor_si512(_mm512_shuffle_epi8(counters3, reversal), keys[0]);
        for (int round = 1; round < 14; round++) {
            block0 = _mm512_aesenc_epi128(block0, keys[round]);
            block1 = _mm512_aesenc_epi128(block1, keys[round]);
            block2 = _mm512_aesenc_epi128(block2, keys[round]);
            block3 = _mm512_aesenc_epi128(block3, keys[round]);
        }
        block0 = _mm512_aesenclast_epi128(block0, keys[14]);
        block1 = _mm512_aesenclast_epi128(block1, keys[14]);
        block2 = _mm512_aesenclast_epi128(block2, keys[14]);
        block3 = _mm512_aesenclast_epi128(block3, keys[14]);

        const __m512i in0 = _mm512_loadu_si512(input + done);
        const __m512i in1 = _mm512_loadu_si512(input + done + 64);
        const __m512i in2 = _mm512_loadu_si512(input + done + 128);
        const __m512i in3 = _mm512_loadu_si512(input + done + 192);
        const __m512i out0 = _mm512_xor_si512(in0, block0);
        const __m512i out1 = _mm512_xor_si512(in1, block1);
        const __m512i out2 = _mm512_xor_si512(in2, block2);
        const __m512i out3 = _mm512_xor_si512(in3, block3);
        _mm512_storeu_si512(output + done, out0);
        _mm512_storeu_si512(output + done + 64, out1);
        _mm512_storeu_si512(output + done + 128, out2);
        _mm512_storeu_si512(output + done + 192, out3);

        __m512i hashed0 = _mm512_shuffle_epi8(encrypting ? out0 : in0, reversal);
        const __m512i hashed1 = _mm512_shuffle_epi8(encrypting ? out1 : in1, reversal);
        const __m512i hashed2 = _mm512_shuffle_epi8(encrypting ? out2 : in2, reversal);
        const __m512i hashed3 = _mm512_shuffle_epi8(encrypting ? out3 : in3, reversal);
        // The accumulator joins the first block: (Y ^ C1)·H^16 ^ C2·H^15 ^ … ^ C16·H.
        hashed0 = _mm512_xor_si512(hashed0, _mm512_zextsi128_si512(y));
        __m512i low = _mm512_clmulepi64_epi128(hashed0, powers0, 0x00);
        __m512i high = _mm512_clmulepi64_epi128(hashed0, powers0, 0x11);
        __m512i middle = _mm512_xor_si512(_mm512_clmulepi64_epi128(hashed0, powers0, 0x01), _mm512_clmulepi64_epi128(hashed0, powers0, 0x10));
#define COFFRE_ACCUMULATE(hashed, powers)                                                                   \
        low = _mm512_xor_si512(low, _mm512_clmulepi64_epi128(hashed, powers, 0x00));                      \
        high = _mm512_xor_si512(high, _mm512_clmulepi64_epi128(hashed, powers, 0x11));                    \
        middle = _mm512_xor_si512(middle, _mm512_clmulepi64_epi128(hashed, powers, 0x01));                \
        middle = _mm512_xor_si512(middle, _mm512_clmulepi64_epi128(hashed, powers, 0x10));
        COFFRE_ACCUMULATE(hashed1, powers1)
        COFFRE_ACCUMULATE(hashed2, powers2)
        COFFRE_ACCUMULATE(hashed3, powers3)
#undef COFFRE_ACCUMULATE
        __m128i low128 = fold_lanes(low), high128 = fold_lanes(high);
        const __m128i middle128 = fold_lanes(middle);
        low128 = _mm_xor_si128(low128, _mm_slli_si128(middle128, 8));
        high128 = _mm_xor_si128(high128, _mm_srli_si128(middle128, 8));
        y = reduce(low128, high128);

        counters0 = _mm512_add_epi32(counters0, sixteen);
        counters1 = _mm512_add_epi32(counters1, sixteen);
        counters2 = _mm512_add_epi32(counters2, sixteen);
        counters3 = _mm512_add_epi32(counters3, sixteen);
    }
    _mm_storeu_si128((__m128i *)state->counter, _mm512_castsi512_si128(counters0));
    _mm_storeu_si128((__m128i *)state->y, y);
    // The round keys broadcast into registers spilled to the stack: clear them.
    explicit_bzero(keys, sizeof keys);
    return done;
}

// The keystream of the next counter block; the counter moves on.
COFFRE_GCM_TARGET static inline __m128i next_keystream(coffre_aes256gcm *state) {
    const __m128i counter = _mm_loadu_si128((const __m128i *)state->counter);
    _mm_storeu_si128((__m128i *)state->counter, _mm_add_epi32(counter, _mm_set_epi32(0, 0, 0, 1)));
    return encrypt_block(state, reversed(counter));
}

// Continues the block in progress with up to `length` bytes; returns how many it took.
COFFRE_GCM_TARGET static size_t continue_block(coffre_aes256gcm *state, const uint8_t *input, uint8_t *output, size_t length) {
    size_t taken = 0;
    while (state->used > 0 && taken < length) {
        const uint8_t in = input[taken];
        const uint8_t out = in ^ state->keystream[state->used];
        state->pending[state->used] = state->encrypting ? out : in;
        output[taken] = out;
        taken++;
        if (++state->used == 16) {
            __m128i y = hash_block(state, _mm_loadu_si128((const __m128i *)state->y), _mm_loadu_si128((const __m128i *)state->pending));
            _mm_storeu_si128((__m128i *)state->y, y);
            state->used = 0;
        }
    }
    return taken;
}

COFFRE_GCM_TARGET int coffre_aes256gcm_update(coffre_aes256gcm *state, const uint8_t *input, uint8_t *output, size_t length) {
    // SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext (2^32 - 2 counter blocks).
    const uint64_t limit = (UINT64_C(1) << 36) - 32;
    if (length > limit || state->text_length > limit - length) return 0;
    state->text_length += length;

    size_t offset = continue_block(state, input, output, length);
    offset += update_wide(state, input + offset, output + offset, length - offset);
    __m128i y = _mm_loadu_si128((const __m128i *)state->y);
    for (; offset + 16 <= length; offset += 16) {
        const __m128i in = _mm_loadu_si128((const __m128i *)(input + offset));
        const __m128i out = _mm_xor_si128(in, next_keystream(state));
        _mm_storeu_si128((__m128i *)(output + offset), out);
        y = hash_block(state, y, state->encrypting ? out : in);
    }
    _mm_storeu_si128((__m128i *)state->y, y);
    if (offset < length) {
        // A block in progress (fewer than 16 bytes left): its keystream is kept for the next
        // update or for finish.
        const __m128i keystream = next_keystream(state);
        _mm_storeu_si128((__m128i *)state->keystream, keystream);
        memset(state->pending, 0, 16);
        const size_t count = length - offset;
        for (size_t index = 0; index < count; index++) {
            const uint8_t in = input[offset + index];
            const uint8_t out = in ^ state->keystream[index];
            state->pending[index] = state->encrypting ? out : in;
            output[offset + index] = out;
        }
        state->used = (uint32_t)count;
    }
    return 1;
}

COFFRE_GCM_TARGET void coffre_aes256gcm_finish(coffre_aes256gcm *state, uint8_t tag[16]) {
    __m128i y = _mm_loadu_si128((const __m128i *)state->y);
    if (state->used > 0) {
        // The last partial block, zero-padded (SP 800-38D §7.1 step 5: C ‖ 0^v).
        y = hash_block(state, y, _mm_loadu_si128((const __m128i *)state->pending));
        state->used = 0;
    }
    // [len(A)]64 ‖ [len(C)]64 in bits; byte-reversed, len(C) is the low half.
    const __m128i lengths = _mm_set_epi64x((long long)(state->aad_length * 8), (long long)(state->text_length * 8));
    const __m128i h = _mm_loadu_si128((const __m128i *)state->hpow[15]);
    y = multiply(_mm_xor_si128(y, lengths), h);
    const __m128i result = _mm_xor_si128(reversed(y), _mm_loadu_si128((const __m128i *)state->ek_j0));
    _mm_storeu_si128((__m128i *)tag, result);
    memset(state->keystream, 0, 16);
    memset(state->pending, 0, 16);
}

#else

int coffre_aes256gcm_available(void) { return 0; }
void coffre_aes256gcm_wipe(coffre_aes256gcm *state) { explicit_bzero(state, sizeof *state); }
void coffre_aes256gcm_set_key(coffre_aes256gcm *state, const uint8_t key[32]) { (void)state; (void)key; __builtin_trap(); }
void coffre_aes256gcm_begin(coffre_aes256gcm *state, const uint8_t nonce[12], const uint8_t *aad, size_t aad_length, int encrypting) {
    (void)state; (void)nonce; (void)aad; (void)aad_length; (void)encrypting; __builtin_trap();
}
int coffre_aes256gcm_update(coffre_aes256gcm *state, const uint8_t *input, uint8_t *output, size_t length) {
    (void)state; (void)input; (void)output; (void)length; __builtin_trap();
}
void coffre_aes256gcm_finish(coffre_aes256gcm *state, uint8_t tag[16]) { (void)state; (void)tag; __builtin_trap(); }

#endif
