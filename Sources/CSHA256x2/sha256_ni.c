// SHA-256 block function on the Intel SHA extensions (Intel SDM vol. 2, SHA256RNDS2,
// SHA256MSG1, SHA256MSG2), one stream or two interleaved. Rounds and message schedule follow
// FIPS 180-4 section 6.2.2; the register layout is the one SHA256RNDS2 defines: one register
// holds A,B,E,F and the other C,D,G,H (highest lane first), and each instruction runs two
// rounds with the two round inputs W+K in the low 64 bits of its implicit XMM0 operand.
#include "CSHA256x2.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define COFFRE_SHA_TARGET __attribute__((target("sha,ssse3,sse4.1")))

int coffre_sha256x2_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

// FIPS 180-4 section 4.2.2: the 64 round constants, four per 128-bit lane group.
static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// One stream's working registers: abef/cdgh as SHA256RNDS2 wants them, w[0..3] the last 16
// message words (four per register, oldest first).
typedef struct {
    __m128i abef, cdgh;
    __m128i w[4];
} lane_t;

// H0..H7 (words 0..7 of state, lane 0 first) into ABEF / CDGH with A in the highest lane.
COFFRE_SHA_TARGET static inline void lane_load(lane_t *l, const uint32_t state[8]) {
    const __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    const __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);   // lanes (low..high): B A D C
    const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);   // lanes: H G F E
    l->abef = _mm_alignr_epi8(cdab, efgh, 8);             // lanes: F E B A
    l->cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);          // lanes: H G D C
}

COFFRE_SHA_TARGET static inline void lane_store(const lane_t *l, uint32_t state[8]) {
    const __m128i feba = _mm_shuffle_epi32(l->abef, 0x1B); // lanes: A B E F
    const __m128i dchg = _mm_shuffle_epi32(l->cdgh, 0xB1); // lanes: G H C D
    const __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0); // lanes: A B C D
    const __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);    // lanes: E F G H
    _mm_storeu_si128((__m128i *)&state[0], dcba);
    _mm_storeu_si128((__m128i *)&state[4], hgfe);
}

// Message words are big-endian (FIPS 180-4 section 3.1, 5.2.1): swap the bytes of each word.
COFFRE_SHA_TARGET static inline __m128i load_words(const uint8_t *p) {
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), byteswap);
}

// Four rounds 4g..4g+3 with message words wg (FIPS 180-4 section 6.2.2 step 3).
COFFRE_SHA_TARGET static inline void four_rounds(lane_t *l, __m128i wg, int g) {
    __m128i wk = _mm_add_epi32(wg, _mm_load_si128((const __m128i *)&round_constants[4 * g]));
    l->cdgh = _mm_sha256rnds2_epu32(l->cdgh, l->abef, wk);
    wk = _mm_shuffle_epi32(wk, 0x0E); // the upper two W+K into the low 64 bits
    l->abef = _mm_sha256rnds2_epu32(l->abef, l->cdgh, wk);
}

// W[t..t+3] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16] (FIPS 180-4 section 6.2.2 step 1),
// from the last 16 words; shifts them along.
COFFRE_SHA_TARGET static inline __m128i next_words(lane_t *l) {
    __m128i x = _mm_sha256msg1_epu32(l->w[0], l->w[1]);       // W[t-16] + σ0(W[t-15])
    x = _mm_add_epi32(x, _mm_alignr_epi8(l->w[3], l->w[2], 4)); // + W[t-7]
    x = _mm_sha256msg2_epu32(x, l->w[3]);                      // + σ1(W[t-2])
    l->w[0] = l->w[1];
    l->w[1] = l->w[2];
    l->w[2] = l->w[3];
    l->w[3] = x;
    return x;
}

COFFRE_SHA_TARGET void coffre_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    lane_t a;
    lane_load(&a, state);
    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abef0 = a.abef, cdgh0 = a.cdgh;
        for (int g = 0; g < 4; g++) {
            a.w[g] = load_words(data + 16 * g);
            four_rounds(&a, a.w[g], g);
        }
        for (int g = 4; g < 16; g++) four_rounds(&a, next_words(&a), g);
        // FIPS 180-4 section 6.2.2 step 4: add the block's starting state.
        a.abef = _mm_add_epi32(a.abef, abef0);
        a.cdgh = _mm_add_epi32(a.cdgh, cdgh0);
    }
    lane_store(&a, state);
}

COFFRE_SHA_TARGET void coffre_sha256x2_blocks(uint32_t state_a[8], const uint8_t *data_a,
                                                  uint32_t state_b[8], const uint8_t *data_b,
                                                  size_t blocks) {
    lane_t a, b;
    lane_load(&a, state_a);
    lane_load(&b, state_b);
    for (; blocks > 0; blocks--, data_a += 64, data_b += 64) {
        const __m128i abef_a = a.abef, cdgh_a = a.cdgh, abef_b = b.abef, cdgh_b = b.cdgh;
        // The two streams' instructions alternate, so one's SHA256RNDS2 latency overlaps the other's.
        for (int g = 0; g < 4; g++) {
            a.w[g] = load_words(data_a + 16 * g);
            b.w[g] = load_words(data_b + 16 * g);
            four_rounds(&a, a.w[g], g);
            four_rounds(&b, b.w[g], g);
        }
        for (int g = 4; g < 16; g++) {
            const __m128i wa = next_words(&a), wb = next_words(&b);
            four_rounds(&a, wa, g);
            four_rounds(&b, wb, g);
        }
        a.abef = _mm_add_epi32(a.abef, abef_a);
        a.cdgh = _mm_add_epi32(a.cdgh, cdgh_a);
        b.abef = _mm_add_epi32(b.abef, abef_b);
        b.cdgh = _mm_add_epi32(b.cdgh, cdgh_b);
    }
    lane_store(&a, state_a);
    lane_store(&b, state_b);
}

#else

int coffre_sha256x2_available(void) { return 0; }

// Never called: coffre_sha256x2_available() is 0 on other CPUs and CoffreCrypto then uses
// OpenSSL's SHA-256.
void coffre_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
    __builtin_trap();
}

void coffre_sha256x2_blocks(uint32_t state_a[8], const uint8_t *data_a,
                                uint32_t state_b[8], const uint8_t *data_b, size_t blocks) {
    (void)state_a; (void)data_a; (void)state_b; (void)data_b; (void)blocks;
    __builtin_trap();
}

#endif
