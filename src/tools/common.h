/*
 * common.h: what every sift program shares: -o key=value settings,
 * --version, reading files, deriving an envelope from a message.
 */
#ifndef SV_TOOLS_COMMON_H
#define SV_TOOLS_COMMON_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/limits.h"

struct sv_msg;

/* Apply "-o key=value"; prints the error and returns false when bad. */
bool tool_setting(const char *prog, struct sv_settings *s, const char *opt);
void tool_version(const char *prog);
/* Read a whole file; false (message printed) on failure. */
bool tool_read(const char *prog, const char *path, size_t max, struct sv_buf *out);
/* Envelope guesses from a message: Return-Path (or the mbox From line) for
 * the sender, Delivered-To / X-Original-To / Envelope-To / To for the
 * recipient. Results in the message's arena; NULL when absent. */
const char *tool_guess_sender(struct sv_msg *m);
const char *tool_guess_recipient(struct sv_msg *m);

#endif
