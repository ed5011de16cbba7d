/*
 * limits.h: every budget and setting of sift, declared once.
 *
 * Each row: C field, setting key (what -o key=value and the library API
 * take), aliases known to Sieve administrators from other engines
 * ("" when none, several separated by '|'), type (number,
 * size, duration in seconds, text), default, minimum, maximum, and what it
 * bounds. doc/settings.md is written from this table (`sievec --settings`).
 *
 * The settings of the core are here; an extension declares its own in its
 * descriptor (sv_ext_def.settings, registry.h), with rows of the same
 * kind. Every function below takes both: ids below SV_SET__COUNT are the
 * core's, the ones above belong to extensions (sv_ext_setting_id).
 *
 * Sizes accept K/M/G suffixes (binary multiples, as Sieve numbers do).
 */
#ifndef SV_LIMITS_H
#define SV_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SV_KiB 1024ull
#define SV_MiB (1024ull * 1024ull)

/* Diagnostics one compile reports before it stops listing them. */
#define SV_DEFAULT_MAX_DIAGNOSTICS 50
/* The MIME parser's bounds (src/mail/mime.c); a message that has not
 * been given settings uses these. */
#define SV_DEFAULT_MAX_MIME_PARTS 10000
#define SV_DEFAULT_MAX_MIME_DEPTH 50

/* Bytes of diagnostics one compile renders at most; the rest is counted in
 * a closing note. Not a setting: each diagnostic is bounded (diag.c: a
 * message of 1 KiB, a window of 120 characters; a few hundred bytes for
 * ordinary ones, so the default 50 fit many times over), and this only
 * keeps a raised max-diagnostics or a script of escapes from turning into
 * megabytes of output (stderr, a ManageSieve reply). max-diagnostics stays
 * the one knob a user turns. */
#define SV_DIAG_MAX_OUTPUT (64 * SV_KiB)

enum sv_setting_type { SV_SETTING_NUMBER, SV_SETTING_SIZE, SV_SETTING_SECONDS, SV_SETTING_TEXT };

/* X(field, key, alias, type, default, min, max, text-default, help) */
#define SV_SETTINGS(X)                                                                            \
	X(max_script_size, "max-script-size", "sieve_max_script_size", SV_SETTING_SIZE,          \
	  1 * SV_MiB, 1, 64 * SV_MiB, NULL, "largest script source accepted by the compiler")     \
	X(max_nesting, "max-nesting-depth", "", SV_SETTING_NUMBER, 32, 1, 256, NULL,              \
	  "deepest nesting of blocks and tests, checked by the parser")                           \
	X(max_diagnostics, "max-diagnostics", "", SV_SETTING_NUMBER, SV_DEFAULT_MAX_DIAGNOSTICS, \
	  1, 10000, NULL, "errors one compile reports before it stops listing them")              \
	X(max_instructions, "max-instructions", "", SV_SETTING_NUMBER, 1000000, 100,            \
	  1000000000, NULL, "instructions one script run may execute")                            \
	X(max_cpu_time, "max-cpu-time", "sieve_max_cpu_time", SV_SETTING_SECONDS, 30, 1, 3600,  \
	  NULL, "CPU seconds one script run may use")                                             \
	X(max_actions, "max-actions", "sieve_max_actions", SV_SETTING_NUMBER, 32, 1, 10000, NULL, \
	  "actions one message may collect")                                                      \
	X(max_redirects, "max-redirects", "sieve_max_redirects", SV_SETTING_NUMBER, 4, 0, 100,    \
	  NULL, "redirect actions one message may collect")                                       \
	X(max_string_size, "max-string-size", "", SV_SETTING_SIZE, 1 * SV_MiB, 1024, 64 * SV_MiB, \
	  NULL, "longest string a script run may build")                                          \
	X(max_list_size, "max-list-size", "", SV_SETTING_NUMBER, 10000, 1, 1000000, NULL,         \
	  "most items in one string list")                                                        \
	X(max_variables, "max-variables", "sieve_variables_max_scope_size", SV_SETTING_NUMBER,   \
	  255, 1, 100000, NULL, "most variables one script may use")                              \
	X(max_variable_size, "max-variable-size", "sieve_variables_max_variable_size|sieve_variables_max_value_size",           \
	  SV_SETTING_SIZE, 4 * SV_KiB, 64, 64 * SV_MiB, NULL, "longest value a variable holds")   \
	X(max_message_size, "max-message-size", "", SV_SETTING_SIZE, 256 * SV_MiB, 1024,         \
	  4096 * SV_MiB, NULL, "largest message read")                                            \
	X(max_mime_parts, "max-mime-parts", "", SV_SETTING_NUMBER, SV_DEFAULT_MAX_MIME_PARTS, 1,  \
	  1000000, NULL,                                                                          \
	  "MIME parts split off one message; the rest of the enclosing part stays one undivided " \
	  "part that body :text and every :content type search as text (parts directly in it "    \
	  "that are base64 or quoted-printable also decoded), so nothing past it is skipped")      \
	X(max_mime_depth, "max-mime-depth", "", SV_SETTING_NUMBER, SV_DEFAULT_MAX_MIME_DEPTH, 1,  \
	  256, NULL,                                                                              \
	  "deepest nesting of multipart and message/rfc822 parts split; a part this deep stays "  \
	  "undivided and body :text and every :content type search it as text, as for "           \
	  "max-mime-parts")                                                                       \
	X(recipient_delimiter, "recipient-delimiter", "recipient_delimiter", SV_SETTING_TEXT, 0,  \
	  0, 0, "+", "characters that separate user and detail (RFC 5233)")                     \
	X(redirect_envelope_from, "redirect-envelope-from", "sieve_redirect_envelope_from",       \
	  SV_SETTING_TEXT, 0, 0, 0, "sender",                                                     \
	  "envelope sender of redirected mail: sender, recipient, orig_recipient, user_email, "   \
	  "postmaster or <address> (a null sender stays null)")                                  \
	X(max_delivered_to, "max-delivered-to", "", SV_SETTING_NUMBER, 20, 1, 1000, NULL,        \
	  "a message with more Delivered-To fields than this is not redirected (a mail loop)")

/* Room for the settings extensions declare (sv_ext_self_check says when
 * the descriptors need more). */
#define SV_EXT_SETTINGS_MAX 64

enum sv_setting_id {
#define SV_X(field, key, alias, type, def, min, max, tdef, help) SV_SET_##field,
	SV_SETTINGS(SV_X)
#undef SV_X
	SV_SET__COUNT
};

struct sv_settings {
#define SV_X(field, key, alias, type, def, min, max, tdef, help) uint64_t field;
	SV_SETTINGS(SV_X)
#undef SV_X
	/* the extensions' settings, by id - SV_SET__COUNT */
	uint64_t ext[SV_EXT_SETTINGS_MAX];
	/* text settings keep their value here (owned; NULL: the default, so
	   settings that were never set own no memory) */
	char *text[SV_SET__COUNT + SV_EXT_SETTINGS_MAX];
};

struct sv_setting_info {
	const char *key, *alias;
	enum sv_setting_type type;
	uint64_t def, min, max;
	const char *text_def;
	const char *help;
	/* an extension's setting that changes what the compiler produces: a
	   binary compiled under another value is compiled again (its value is
	   in the binary's fingerprint, sv_bin_fingerprint_for) */
	bool compile_time;
};

extern const struct sv_setting_info sv_setting_table[SV_SET__COUNT];

/* The settings extensions declare, in registry order (provided by the
 * registry, src/ext/registry.c): how many, their rows, and the name of
 * the extension that declares each. */
size_t sv_ext_settings_catalog(const struct sv_setting_info *const **rows_r,
                               const char *const **owners_r);

/* Every setting, the core's and the extensions': how many ids there are,
 * the row of one (NULL for an id out of range), and the capability of the
 * extension that declares it (NULL for the core's). */
int sv_settings_count(void);
const struct sv_setting_info *sv_setting_info_of(int id);
const char *sv_setting_owner(int id);

void sv_settings_init(struct sv_settings *s);
void sv_settings_free(struct sv_settings *s);
void sv_settings_copy(struct sv_settings *dst, const struct sv_settings *src);
/* Look a key (or an alias) up; -1 when unknown. */
int sv_settings_find(const char *key);
/* Set key=value; on failure returns false and appends a reason to err. */
bool sv_settings_set(struct sv_settings *s, const char *key, const char *value,
		     struct sv_buf *err);
/* Is v a value redirect-envelope-from accepts? */
bool sv_redirect_from_valid(const char *v);
/* Parse "key=value" as the -o option of every program takes it. */
bool sv_settings_set_option(struct sv_settings *s, const char *opt, struct sv_buf *err);
/* Copy one setting from src. */
void sv_settings_copy_one(struct sv_settings *dst, const struct sv_settings *src, int id);
/* Reset one setting to its default. */
void sv_settings_unset(struct sv_settings *s, int id);
uint64_t sv_settings_get(const struct sv_settings *s, int id);
const char *sv_settings_text(const struct sv_settings *s, int id);
/* Print the table (key, default, bounds, help) as documentation. */
void sv_settings_describe(struct sv_buf *out);

#endif
