/*
 * unicode-casemap-int.h: the generated table of i;unicode-casemap
 * (unicode-casemap-table.c, made by scripts/gen-unicode-casemap.py); only
 * unicode-casemap.c reads it.
 *
 * The form of code point cp: e = sv_ucm_blocks[sv_ucm_level1[cp >> 7]][cp & 127];
 * e == 0: cp is its own form; else sv_ucm_pool[e] is the length of the
 * form and the UTF-8 octets follow it.
 */
#ifndef SV_UNICODE_CASEMAP_INT_H
#define SV_UNICODE_CASEMAP_INT_H

#include <stdint.h>

#define SV_UCM_SHIFT 7

extern const uint8_t sv_ucm_level1[0x110000 >> SV_UCM_SHIFT];
extern const uint16_t sv_ucm_blocks[][1 << SV_UCM_SHIFT];
extern const unsigned char sv_ucm_pool[];
extern const char sv_ucm_unicode_version[];

#endif
