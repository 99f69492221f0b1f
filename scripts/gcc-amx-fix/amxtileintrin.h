/* Shadows GCC's <amxtileintrin.h> while llama.cpp builds (scripts/setup.sh puts this folder first on the
 * system include path).
 *
 * Why: GCC 12's _tile_loadconfig hands the 64-byte tile configuration to `ldtilecfg` through an
 * "m" (*(const void **)cfg) operand, which tells the optimizer that only the first 8 bytes are read.
 * ggml fills the configuration on the stack, so -O3 drops the stores to bytes 8..63, `ldtilecfg`
 * reads garbage, faults with #GP, and the process dies with SIGSEGV at the first matrix product of
 * more than one row (a prompt, or a batch of sequences). The operand below covers all 64 bytes.
 */
#include_next <amxtileintrin.h>

#ifndef NESY_AMX_TILECFG_FIX
#define NESY_AMX_TILECFG_FIX
typedef struct { unsigned char bytes[64]; } nesy_tilecfg_bytes;

static __inline__ void __attribute__((__always_inline__)) nesy_tile_loadconfig(const void *cfg) {
  __asm__ volatile("ldtilecfg\t%X0" ::"m"(*(const nesy_tilecfg_bytes *)cfg));
}

static __inline__ void __attribute__((__always_inline__)) nesy_tile_storeconfig(void *cfg) {
  __asm__ volatile("sttilecfg\t%X0" : "=m"(*(nesy_tilecfg_bytes *)cfg));
}

#define _tile_loadconfig nesy_tile_loadconfig
#define _tile_storeconfig nesy_tile_storeconfig
#endif
