// MD5 of many independent messages at once, one message per SIMD lane: 16 lanes with
// AVX-512, 8 with AVX2, chosen at run time, with a scalar path for other CPUs. One MD5 is a
// serial chain of dependent steps (~0.75 GB/s per core whatever the CPU), but many messages'
// chains run side by side in vector registers (as ISA-L's md5_mb and minio/md5-simd do).
//
// This is the compression function over whole 64-byte blocks; Md5Batcher (md5_batcher.h)
// builds streaming hashes of concurrent uploads on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ferry {

struct Md5State {
  uint32_t a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
};

// One message's next whole blocks: state advances over blocks * 64 bytes at data.
struct Md5Lane {
  Md5State* state;
  const unsigned char* data;
  size_t blocks;
};

enum class Md5Engine { kScalar, kAvx2, kAvx512 };

// The engine this CPU runs (the widest it supports).
Md5Engine BestMd5Engine();
// Lanes side by side in one vector: 1, 8 or 16.
int Md5LaneWidth(Md5Engine engine);

// Advances every lane over its blocks. Lanes may differ in length; up to the engine's width
// run together. Tests pass an engine to compare them; production code uses the default.
void Md5Blocks(std::span<const Md5Lane> lanes, Md5Engine engine = BestMd5Engine());

// The digest of a message whose whole blocks are already in state: pads the tail (under 64
// bytes) and returns the 16 raw bytes. total_bytes is the message's whole length.
std::string Md5Finish(Md5State state, std::span<const unsigned char> tail, uint64_t total_bytes);

}  // namespace ferry
