/*
 * spamtest-int.h: what spamtest, spamtestplus and virustest (RFC 5235)
 * share, in spamtest.c: the settings that say where a scanner's verdict
 * is and how to read it, and the test operation over them.
 */
#ifndef SV_EXT_SPAMTEST_INT_H
#define SV_EXT_SPAMTEST_INT_H

#include <stdbool.h>

#include "lib/limits.h"
#include "lib/status.h"

struct sv_vm;
struct sv_operands;
struct sv_ext_def;
struct sv_validator;
struct sv_ast_node;

/* The value of spamtest and virustest is one string (RFC 5235 §3.2,
 * §3.3), though it is generated as a key list for the matcher. */
bool sv_spamtest_validate(struct sv_validator *v, struct sv_ast_node *n);

/* The rows of a scanner's settings, in this order, in the descriptor of
 * the extension that owns them (spamtest: text values 1-10; virustest:
 * 1-5). SV_SPAMTEST_SETTINGS(kind) writes them: kind is "spamtest" or
 * "virustest" and gives the keys ("spamtest-status-header") and the
 * Pigeonhole names they are also known by ("sieve_spamtest_status_header").
 */
enum { SV_SCAN_STATUS_TYPE, SV_SCAN_STATUS_HEADER, SV_SCAN_MAX_HEADER, SV_SCAN_MAX_VALUE,
       SV_SCAN_TEXT_VALUE1 };

#define SV_SCAN_TEXT_ROW(kind, n)                                                                  \
	{kind "-text-value" #n, "sieve_" kind "_text_value" #n, SV_SETTING_TEXT, 0, 0, 0, "",      \
	 "with " kind "-status-type = text: the status text that means the value " #n}

#define SV_SPAMTEST_SETTINGS(kind)                                                                 \
	{kind "-status-type", "sieve_" kind "_status_type", SV_SETTING_TEXT, 0, 0, 0, "score",     \
	 "how the status header gives the verdict: score (a number, against the maximum), "        \
	 "strlen (the length of the value, against the maximum) or text (one of the "              \
	 kind "-text-valueN)"},                                                                    \
	    {kind "-status-header", "sieve_" kind "_status_header", SV_SETTING_TEXT, 0, 0, 0, "",  \
	     "the header field with the verdict, \"Name\" or \"Name: regex\" (POSIX extended; "    \
	     "its first group, else the whole match, is the value); empty: messages are not "      \
	     "tested"},                                                                            \
	    {kind "-max-header", "sieve_" kind "_max_header", SV_SETTING_TEXT, 0, 0, 0, "",        \
	     "the header field with the maximum score, as " kind "-status-header (empty: "        \
	     kind "-max-value)"},                                                                  \
	    {kind "-max-value", "sieve_" kind "_max_value", SV_SETTING_TEXT, 0, 0, 0, "",          \
	     "the score that means certain (a decimal number above 0) when there is no "           \
	     kind "-max-header"}

/* Run spamtest (levels 10) or virustest (levels 5) on the current
 * message with the settings of owner; percent: spamtest :percent
 * (RFC 5235 §3.2.2). Operand 0 is the key list. */
enum sv_status sv_spamtest_op(struct sv_vm *vm, const struct sv_operands *ops,
                              const struct sv_ext_def *owner, unsigned levels, bool percent);

#endif
