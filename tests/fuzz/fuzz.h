/*
 * fuzz.h: what the fuzz targets (fuzz_compile.c, fuzz_load.c,
 * fuzz_message.c) share with their two drivers: libFuzzer (`make fuzz`,
 * see fuzz.mk) and replay.c (a plain main() that `make check` builds once
 * per target to replay tests/fuzz/regress/<target>/).
 */
#ifndef SV_TESTS_FUZZ_H
#define SV_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The entry point every target defines (libFuzzer's name and contract:
 * must not crash, leak or run away for any input; returns 0). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Instruction budget for running fuzzed code: small, so a loop that the
 * fuzzer builds ends quickly (the minimum the settings accept is 100). */
#define FUZZ_MAX_INSTRUCTIONS "10000"

/* The message the compile and load targets run their code against: a
 * little of everything the tests look at (addresses, an encoded word, a
 * sub-address, a multipart body with a base64 part). */
#define FUZZ_MESSAGE                                                            \
	"Return-Path: <owner-list+bounces@lists.example.net>\n"                  \
	"From: \"Dupont, =?ISO-8859-1?Q?Fran=E7ois?=\" <francois@Example.NET>\n" \
	"To: alice+shop@example.org, Bob <bob@example.com>\n"                    \
	"Cc: undisclosed-recipients:;\n"                                         \
	"Subject: [BUILD] =?UTF-8?B?bmlnaHRseSDinJMgZmFpbGVk?=\n"                 \
	"List-Id: sift development <sift-dev.lists.example.net>\n"               \
	"X-Spam-Score: 12.3\n"                                                   \
	"X-Spam-Flag: YES\n"                                                     \
	"Date: Mon, 3 Mar 2025 10:00:00 +0100\n"                                 \
	"MIME-Version: 1.0\n"                                                    \
	"Content-Type: multipart/mixed; boundary=\"b1\"\n"                       \
	"\n"                                                                     \
	"preamble\n"                                                             \
	"--b1\n"                                                                 \
	"Content-Type: text/plain; charset=iso-8859-1\n"                         \
	"Content-Transfer-Encoding: quoted-printable\n"                          \
	"\n"                                                                     \
	"Ticket #4711: caf=E9 unsubscribe here\n"                                \
	"--b1\n"                                                                 \
	"Content-Type: application/pdf; name=\"invoice.pdf\"\n"                  \
	"Content-Disposition: attachment; filename=\"invoice.pdf\"\n"            \
	"Content-Transfer-Encoding: base64\n"                                    \
	"\n"                                                                     \
	"JVBERi0xLjQKJcfsj6IK\n"                                                 \
	"--b1--\n"

#endif
