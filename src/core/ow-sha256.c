/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-sha256.h"

#include <sodium.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
# define OW_SHA_NI 1
# include <cpuid.h>
# include <immintrin.h>
#endif

#ifdef OW_SHA_NI

static const guint32 round_constants[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Compresses @blocks 64-byte blocks into @state with the SHA-NI instructions.  The message
 * schedule for words 16..63 follows FIPS 180-4 four words at a time:
 * X[j+4] = msg2 (msg1 (X[j], X[j+1]) + alignr (X[j+3], X[j+2]), X[j+3]). */
__attribute__ ((target ("sha,sse4.1,ssse3")))
static void
compress_ni (guint32      *state,
             const guint8 *data,
             gsize         blocks)
{
  const __m128i byte_swap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_loadu_si128 ((const __m128i *) &state[0]);
  __m128i state1 = _mm_loadu_si128 ((const __m128i *) &state[4]);
  __m128i state0;

  tmp = _mm_shuffle_epi32 (tmp, 0xB1);              /* CDAB */
  state1 = _mm_shuffle_epi32 (state1, 0x1B);        /* EFGH */
  state0 = _mm_alignr_epi8 (tmp, state1, 8);        /* ABEF */
  state1 = _mm_blend_epi16 (state1, tmp, 0xF0);     /* CDGH */

  for (; blocks > 0; blocks--, data += 64)
    {
      __m128i abef = state0, cdgh = state1;
      __m128i w[4];

      for (int i = 0; i < 4; i++)
        w[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), byte_swap);

      for (int group = 0; group < 16; group++)
        {
          __m128i *x = &w[group & 3];
          __m128i msg = _mm_add_epi32 (*x, _mm_loadu_si128 ((const __m128i *) &round_constants[4 * group]));

          state1 = _mm_sha256rnds2_epu32 (state1, state0, msg);
          msg = _mm_shuffle_epi32 (msg, 0x0E);
          state0 = _mm_sha256rnds2_epu32 (state0, state1, msg);

          /* Words 4 groups ahead replace this group's, once it is used. */
          if (group < 12)
            {
              __m128i next = _mm_sha256msg1_epu32 (*x, w[(group + 1) & 3]);

              next = _mm_add_epi32 (next, _mm_alignr_epi8 (w[(group + 3) & 3], w[(group + 2) & 3], 4));
              *x = _mm_sha256msg2_epu32 (next, w[(group + 3) & 3]);
            }
        }

      state0 = _mm_add_epi32 (state0, abef);
      state1 = _mm_add_epi32 (state1, cdgh);
    }

  tmp = _mm_shuffle_epi32 (state0, 0x1B);           /* FEBA */
  state1 = _mm_shuffle_epi32 (state1, 0xB1);        /* DCHG */
  state0 = _mm_blend_epi16 (tmp, state1, 0xF0);     /* DCBA */
  state1 = _mm_alignr_epi8 (state1, tmp, 8);        /* ABEF */
  _mm_storeu_si128 ((__m128i *) &state[0], state0);
  _mm_storeu_si128 ((__m128i *) &state[4], state1);
}

static void
sha256_ni (const guint8 *data,
           gsize         len,
           guint8       *out)
{
  guint32 state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };
  guint8 tail[128] = { 0 };
  gsize full = len / 64;
  gsize rest = len % 64;
  gsize tail_len = rest < 56 ? 64 : 128;
  guint64 bits = (guint64) len * 8;

  compress_ni (state, data, full);

  /* Padding: 0x80, zeros, then the length in bits, big-endian. */
  memcpy (tail, data + full * 64, rest);
  tail[rest] = 0x80;
  for (int i = 0; i < 8; i++)
    tail[tail_len - 1 - i] = bits >> (8 * i);
  compress_ni (state, tail, tail_len / 64);

  for (int i = 0; i < 8; i++)
    {
      out[4 * i] = state[i] >> 24;
      out[4 * i + 1] = state[i] >> 16;
      out[4 * i + 2] = state[i] >> 8;
      out[4 * i + 3] = state[i];
    }
}

static gboolean
detect_sha_ni (void)
{
  unsigned int eax, ebx, ecx, edx;

  if (!__get_cpuid (1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_SSE4_1) || !(ecx & bit_SSSE3))
    return FALSE;
  if (!__get_cpuid_count (7, 0, &eax, &ebx, &ecx, &edx))
    return FALSE;
  return (ebx & (1u << 29)) != 0;   /* SHA extensions */
}

#endif

gboolean
ow_sha256_accelerated (void)
{
#ifdef OW_SHA_NI
  static gsize once = 0;
  static gboolean available;

  if (g_once_init_enter (&once))
    {
      available = detect_sha_ni () && g_getenv ("OW_SHA256_PORTABLE") == NULL;
      g_once_init_leave (&once, 1);
    }
  return available;
#else
  return FALSE;
#endif
}

void
ow_sha256 (const guint8 *data,
           gsize         len,
           guint8       *out)
{
#ifdef OW_SHA_NI
  if (ow_sha256_accelerated ())
    {
      sha256_ni (data, len, out);
      return;
    }
#endif
  crypto_hash_sha256 (out, data, len);
}
