/* Bit operations: BT BTS BTR BTC, BSF BSR TZCNT LZCNT POPCNT, BSWAP, CRC32
 * (SDM Vol. 2, each instruction's page). */
#ifndef VMON_X86_EXEC_BIT_H
#define VMON_X86_EXEC_BIT_H

#include "x86/exec_table.h"

#define X86_EXEC_BIT_OPS(H)                                                      \
    H(BT, x86_exec_bt) H(BTS, x86_exec_bts) H(BTR, x86_exec_btr)                 \
    H(BTC, x86_exec_btc) H(BSF, x86_exec_bsf) H(BSR, x86_exec_bsr)               \
    H(TZCNT, x86_exec_tzcnt) H(LZCNT, x86_exec_lzcnt) H(POPCNT, x86_exec_popcnt) \
    H(BSWAP, x86_exec_bswap) H(CRC32, x86_exec_crc32)

X86_EXEC_BIT_OPS(X86_EXEC_DECLARE)

#endif
