#include "core/md5_lanes.h"

// GCC 12's AVX-512 unpack intrinsics start from a deliberately undefined vector and then warn
// that it may be used uninitialised (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

namespace ferry {
namespace {

// Per step: message word index, shift, and the constant floor(abs(sin(i + 1)) * 2^32).
constexpr std::array<uint32_t, 64> kSine = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

constexpr int WordOf(int step) {
  switch (step / 16) {
    case 0:
      return step;
    case 1:
      return (5 * step + 1) % 16;
    case 2:
      return (3 * step + 5) % 16;
    default:
      return (7 * step) % 16;
  }
}

uint32_t Load32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian host (x86-64)
}

uint32_t Rotl(uint32_t x, int s) {
  return x << s | x >> (32 - s);
}

template <int I>
inline void Step1(uint32_t& a, uint32_t b, uint32_t c, uint32_t d, const uint32_t* w) {
  uint32_t f;
  if constexpr (I < 16) {
    f = ((c ^ d) & b) ^ d;
  } else if constexpr (I < 32) {
    f = ((b ^ c) & d) ^ c;
  } else if constexpr (I < 48) {
    f = b ^ c ^ d;
  } else {
    f = c ^ (b | ~d);
  }
  a = b + Rotl(a + f + kSine[I] + w[WordOf(I)], kShift[I / 16][I % 4]);
}

template <int... I>
inline void Rounds1(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, const uint32_t* w,
                    std::integer_sequence<int, I...>) {
  // Steps rotate the roles of a, b, c, d; four at a time keeps the names fixed.
  ((Step1<4 * I>(a, b, c, d, w), Step1<4 * I + 1>(d, a, b, c, w), Step1<4 * I + 2>(c, d, a, b, w),
    Step1<4 * I + 3>(b, c, d, a, w)),
   ...);
}

void ScalarBlocks(Md5State& st, const unsigned char* p, size_t blocks) {
  for (; blocks > 0; --blocks, p += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = Load32(p + 4 * i);
    uint32_t a = st.a, b = st.b, c = st.c, d = st.d;
    Rounds1(a, b, c, d, w, std::make_integer_sequence<int, 16>());
    st.a += a;
    st.b += b;
    st.c += c;
    st.d += d;
  }
}

// The states of a kernel's lanes word by word (all a's, all b's, ...), as vectors load them.
template <int Width>
struct LaneWords {
  alignas(64) uint32_t a[Width], b[Width], c[Width], d[Width];

  explicit LaneWords(Md5State* const states[Width]) {
    for (int l = 0; l < Width; ++l) {
      a[l] = states[l]->a;
      b[l] = states[l]->b;
      c[l] = states[l]->c;
      d[l] = states[l]->d;
    }
  }
  void StoreTo(Md5State* const states[Width]) const {
    for (int l = 0; l < Width; ++l) *states[l] = Md5State{a[l], b[l], c[l], d[l]};
  }
};

// ---- AVX2: 8 lanes -------------------------------------------------------------------

#define FERRY_AVX2 __attribute__((target("avx2")))

template <int S>
FERRY_AVX2 inline __m256i Rotl8(__m256i x) {
  return _mm256_or_si256(_mm256_slli_epi32(x, S), _mm256_srli_epi32(x, 32 - S));
}

// Transposes 8 rows of 8 words (one row per lane) into 8 vectors of one word per lane.
FERRY_AVX2 inline void Transpose8(__m256i r[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

template <int I>
FERRY_AVX2 inline void Step8(__m256i& a, __m256i b, __m256i c, __m256i d, const __m256i* w) {
  __m256i f;
  if constexpr (I < 16) {
    f = _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256(c, d), b), d);
  } else if constexpr (I < 32) {
    f = _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256(b, c), d), c);
  } else if constexpr (I < 48) {
    f = _mm256_xor_si256(_mm256_xor_si256(b, c), d);
  } else {
    f = _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))));
  }
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a, f),
                                 _mm256_add_epi32(w[WordOf(I)], _mm256_set1_epi32(kSine[I])));
  a = _mm256_add_epi32(b, Rotl8<kShift[I / 16][I % 4]>(sum));
}

template <int... I>
FERRY_AVX2 inline void Rounds8(__m256i& a, __m256i& b, __m256i& c, __m256i& d, const __m256i* w,
                               std::integer_sequence<int, I...>) {
  ((Step8<4 * I>(a, b, c, d, w), Step8<4 * I + 1>(d, a, b, c, w), Step8<4 * I + 2>(c, d, a, b, w),
    Step8<4 * I + 3>(b, c, d, a, w)),
   ...);
}

// Exactly 8 lanes, each with at least `blocks` blocks.
FERRY_AVX2 void Avx2Blocks(Md5State* const states[8], const unsigned char* const data[8],
                           size_t blocks) {
  LaneWords<8> words(states);
  __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(words.a));
  __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(words.b));
  __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(words.c));
  __m256i d = _mm256_load_si256(reinterpret_cast<const __m256i*>(words.d));
  for (size_t n = 0; n < blocks; ++n) {
    __m256i w[16];
    for (int half = 0; half < 2; ++half) {
      for (int l = 0; l < 8; ++l) {
        w[8 * half + l] =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data[l] + 64 * n + 32 * half));
      }
      Transpose8(w + 8 * half);
    }
    const __m256i a0 = a, b0 = b, c0 = c, d0 = d;
    Rounds8(a, b, c, d, w, std::make_integer_sequence<int, 16>());
    a = _mm256_add_epi32(a, a0);
    b = _mm256_add_epi32(b, b0);
    c = _mm256_add_epi32(c, c0);
    d = _mm256_add_epi32(d, d0);
  }
  _mm256_store_si256(reinterpret_cast<__m256i*>(words.a), a);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words.b), b);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words.c), c);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words.d), d);
  words.StoreTo(states);
}

// ---- AVX-512: 16 lanes ---------------------------------------------------------------

#define FERRY_AVX512 __attribute__((target("avx512f")))

// Transposes 16 rows of 16 words (one row per lane) into 16 vectors of one word per lane.
FERRY_AVX512 inline void Transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // Now r[4g + j] holds, in each 128-bit quarter q, word 4q + j of rows 4g..4g+3. Two rounds
  // of quarter shuffles gather quarter q of every group into vector 4q + j.
  for (int j = 0; j < 4; ++j) {
    __m512i g0 = r[j], g1 = r[4 + j], g2 = r[8 + j], g3 = r[12 + j];
    __m512i x0 = _mm512_shuffle_i32x4(g0, g1, 0x44);  // q0,q1 of g0 | q0,q1 of g1
    __m512i x1 = _mm512_shuffle_i32x4(g0, g1, 0xee);  // q2,q3 of g0 | q2,q3 of g1
    __m512i x2 = _mm512_shuffle_i32x4(g2, g3, 0x44);
    __m512i x3 = _mm512_shuffle_i32x4(g2, g3, 0xee);
    t[j] = _mm512_shuffle_i32x4(x0, x2, 0x88);       // q0 of g0, g1, g2, g3
    t[4 + j] = _mm512_shuffle_i32x4(x0, x2, 0xdd);   // q1
    t[8 + j] = _mm512_shuffle_i32x4(x1, x3, 0x88);   // q2
    t[12 + j] = _mm512_shuffle_i32x4(x1, x3, 0xdd);  // q3
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

template <int I>
FERRY_AVX512 inline void Step16(__m512i& a, __m512i b, __m512i c, __m512i d, const __m512i* w) {
  // The four round functions as one ternary-logic instruction each.
  constexpr int kTable = I < 16 ? 0xca : I < 32 ? 0xe4 : I < 48 ? 0x96 : 0x39;
  __m512i f = _mm512_ternarylogic_epi32(b, c, d, kTable);
  __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a, f),
                                 _mm512_add_epi32(w[WordOf(I)], _mm512_set1_epi32(kSine[I])));
  a = _mm512_add_epi32(b, _mm512_rol_epi32(sum, kShift[I / 16][I % 4]));
}

template <int... I>
FERRY_AVX512 inline void Rounds16(__m512i& a, __m512i& b, __m512i& c, __m512i& d, const __m512i* w,
                                  std::integer_sequence<int, I...>) {
  ((Step16<4 * I>(a, b, c, d, w), Step16<4 * I + 1>(d, a, b, c, w),
    Step16<4 * I + 2>(c, d, a, b, w), Step16<4 * I + 3>(b, c, d, a, w)),
   ...);
}

// Exactly 16 lanes, each with at least `blocks` blocks.
FERRY_AVX512 void Avx512Blocks(Md5State* const states[16], const unsigned char* const data[16],
                               size_t blocks) {
  LaneWords<16> words(states);
  __m512i a = _mm512_load_si512(words.a), b = _mm512_load_si512(words.b);
  __m512i c = _mm512_load_si512(words.c), d = _mm512_load_si512(words.d);
  for (size_t n = 0; n < blocks; ++n) {
    __m512i w[16];
    for (int l = 0; l < 16; ++l) w[l] = _mm512_loadu_si512(data[l] + 64 * n);
    Transpose16(w);
    const __m512i a0 = a, b0 = b, c0 = c, d0 = d;
    Rounds16(a, b, c, d, w, std::make_integer_sequence<int, 16>());
    a = _mm512_add_epi32(a, a0);
    b = _mm512_add_epi32(b, b0);
    c = _mm512_add_epi32(c, c0);
    d = _mm512_add_epi32(d, d0);
  }
  _mm512_store_si512(words.a, a);
  _mm512_store_si512(words.b, b);
  _mm512_store_si512(words.c, c);
  _mm512_store_si512(words.d, d);
  words.StoreTo(states);
}

constexpr size_t kMinVectorLanes = 3;

// Runs lanes through a kernel of `Width` lanes: each call takes up to Width unfinished lanes
// and advances them all by the fewest blocks any of them has left; free slots repeat a busy
// lane's data into a scratch state.
template <int Width, typename Kernel>
void RunInGroups(std::span<const Md5Lane> lanes, Kernel kernel) {
  struct Progress {
    Md5State* state;
    const unsigned char* data;
    size_t left;
  };
  std::vector<Progress> pending;
  pending.reserve(lanes.size());
  for (const Md5Lane& lane : lanes) {
    if (lane.blocks > 0) pending.push_back({lane.state, lane.data, lane.blocks});
  }
  Md5State scratch[Width];
  while (!pending.empty()) {
    const size_t group = std::min<size_t>(Width, pending.size());
    if (group < kMinVectorLanes) {
      // A vector costs the same whatever its lanes carry: for one or two messages the scalar
      // chain is as fast.
      for (const Progress& p : pending) ScalarBlocks(*p.state, p.data, p.left);
      break;
    }
    size_t blocks = pending[0].left;
    for (size_t i = 1; i < group; ++i) blocks = std::min(blocks, pending[i].left);
    Md5State* states[Width];
    const unsigned char* data[Width];
    for (size_t i = 0; i < Width; ++i) {
      if (i < group) {
        states[i] = pending[i].state;
        data[i] = pending[i].data;
      } else {
        scratch[i] = Md5State{};
        states[i] = &scratch[i];
        data[i] = pending[0].data;
      }
    }
    kernel(states, data, blocks);
    for (size_t i = 0; i < group; ++i) {
      pending[i].data += 64 * blocks;
      pending[i].left -= blocks;
    }
    std::erase_if(pending, [](const Progress& p) { return p.left == 0; });
  }
}

}  // namespace

Md5Engine BestMd5Engine() {
  static const Md5Engine best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return Md5Engine::kAvx512;
    if (__builtin_cpu_supports("avx2")) return Md5Engine::kAvx2;
    return Md5Engine::kScalar;
  }();
  return best;
}

int Md5LaneWidth(Md5Engine engine) {
  switch (engine) {
    case Md5Engine::kAvx512:
      return 16;
    case Md5Engine::kAvx2:
      return 8;
    default:
      return 1;
  }
}

void Md5Blocks(std::span<const Md5Lane> lanes, Md5Engine engine) {
  switch (engine) {
    case Md5Engine::kAvx512:
      RunInGroups<16>(lanes, Avx512Blocks);
      break;
    case Md5Engine::kAvx2:
      RunInGroups<8>(lanes, Avx2Blocks);
      break;
    default:
      for (const Md5Lane& lane : lanes) ScalarBlocks(*lane.state, lane.data, lane.blocks);
  }
}

std::string Md5Finish(Md5State state, std::span<const unsigned char> tail, uint64_t total_bytes) {
  unsigned char last[128] = {};
  std::memcpy(last, tail.data(), tail.size());
  last[tail.size()] = 0x80;
  const size_t blocks = tail.size() < 56 ? 1 : 2;
  const uint64_t bits = total_bytes * 8;
  std::memcpy(last + 64 * blocks - 8, &bits, 8);  // little-endian
  ScalarBlocks(state, last, blocks);
  std::string digest(16, '\0');
  const uint32_t words[4] = {state.a, state.b, state.c, state.d};
  std::memcpy(digest.data(), words, 16);
  return digest;
}

}  // namespace ferry
