/*
 * limits.c: the settings table of limits.h and its parsing.
 */
#include "limits.h"

#include <string.h>

#include "alloc.h"
#include "utf8.h"

const struct sv_setting_info sv_setting_table[SV_SET__COUNT] = {
#define SV_X(field, key, alias, type, def, min, max, tdef, help) \
	{key, alias, type, def, min, max, tdef, help},
	SV_SETTINGS(SV_X)
#undef SV_X
};

int sv_settings_count(void)
{
	return SV_SET__COUNT + (int)sv_ext_settings_catalog(NULL, NULL);
}

const struct sv_setting_info *sv_setting_info_of(int id)
{
	if (id < 0)
		return NULL;
	if (id < SV_SET__COUNT)
		return &sv_setting_table[id];
	const struct sv_setting_info *const *rows;
	size_t n = sv_ext_settings_catalog(&rows, NULL);
	return (size_t)(id - SV_SET__COUNT) < n ? rows[id - SV_SET__COUNT] : NULL;
}

const char *sv_setting_owner(int id)
{
	const char *const *owners;
	size_t n = sv_ext_settings_catalog(NULL, &owners);
	return id >= SV_SET__COUNT && (size_t)(id - SV_SET__COUNT) < n ? owners[id - SV_SET__COUNT]
	                                                               : NULL;
}

static uint64_t *field_ptr(struct sv_settings *s, int id)
{
	switch (id) {
#define SV_X(field, key, alias, type, def, min, max, tdef, help) \
	case SV_SET_##field: return &s->field;
	SV_SETTINGS(SV_X)
#undef SV_X
	}
	return &s->ext[id - SV_SET__COUNT];
}

void sv_settings_init(struct sv_settings *s)
{
	memset(s, 0, sizeof *s);
	for (int i = 0, n = sv_settings_count(); i < n; i++)
		sv_settings_unset(s, i);
}

void sv_settings_free(struct sv_settings *s)
{
	for (int i = 0, n = sv_settings_count(); i < n; i++) {
		sv_free(s->text[i]);
		s->text[i] = NULL;
	}
}

void sv_settings_copy(struct sv_settings *dst, const struct sv_settings *src)
{
	if (dst == src)
		return;
	sv_settings_free(dst);
	*dst = *src;
	for (int i = 0, n = sv_settings_count(); i < n; i++)
		if (src->text[i])
			dst->text[i] = sv_strdup(src->text[i]);
}

void sv_settings_copy_one(struct sv_settings *dst, const struct sv_settings *src, int id)
{
	if (id < 0 || id >= sv_settings_count() || dst == src)
		return;
	*field_ptr(dst, id) = *field_ptr((struct sv_settings *)src, id);
	sv_free(dst->text[id]);
	dst->text[id] = src->text[id] ? sv_strdup(src->text[id]) : NULL;
}

void sv_settings_unset(struct sv_settings *s, int id)
{
	if (id < 0 || id >= sv_settings_count())
		return;
	const struct sv_setting_info *in = sv_setting_info_of(id);
	*field_ptr(s, id) = in->def;
	sv_free(s->text[id]);
	s->text[id] = NULL; /* NULL: the default (sv_settings_text) */
}

int sv_settings_find(const char *key)
{
	for (int i = 0, n = sv_settings_count(); i < n; i++) {
		const struct sv_setting_info *in = sv_setting_info_of(i);
		if (strcmp(in->key, key) == 0)
			return i;
		/* aliases: "a|b|c" */
		size_t klen = strlen(key);
		for (const char *a = in->alias; *a;) {
			const char *bar = strchr(a, '|');
			size_t alen = bar ? (size_t)(bar - a) : strlen(a);
			if (alen == klen && memcmp(a, key, klen) == 0)
				return i;
			a += alen + (bar ? 1 : 0);
		}
	}
	return -1;
}

/* Numbers: digits with an optional K/M/G (sizes) or s/m/h/d (durations). */
static bool parse_number(const char *v, enum sv_setting_type type, uint64_t *out)
{
	uint64_t n = 0;
	const char *p = v;
	if (!sv_ascii_isdigit((unsigned char)*p))
		return false;
	while (sv_ascii_isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
		p++;
	}
	uint64_t mult = 1;
	if (*p) {
		char c = (char)sv_ascii_lower((unsigned char)*p);
		if (type == SV_SETTING_SIZE || type == SV_SETTING_NUMBER) {
			if (c == 'k')
				mult = 1024;
			else if (c == 'm')
				mult = 1024 * 1024;
			else if (c == 'g')
				mult = 1024 * 1024 * 1024;
			else
				return false;
			if (p[1] == 'b' || p[1] == 'B')
				p++;
		} else {
			if (c == 's')
				mult = 1;
			else if (c == 'm')
				mult = 60;
			else if (c == 'h')
				mult = 3600;
			else if (c == 'd')
				mult = 86400;
			else
				return false;
		}
		p++;
		if (*p)
			return false;
	}
	if (n > UINT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

bool sv_redirect_from_valid(const char *v)
{
	static const char *const names[] = {"sender",     "recipient",  "orig_recipient",
					    "user_email", "postmaster", NULL};
	for (size_t i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return true;
	size_t n = strlen(v);
	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return false;
	/* an explicit address: printable ASCII, no spaces or brackets inside */
	for (size_t i = 1; i + 1 < n; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == '<' || v[i] == '>')
			return false;
	return true;
}

bool sv_settings_set(struct sv_settings *s, const char *key, const char *value,
		     struct sv_buf *err)
{
	int id = sv_settings_find(key);
	if (id < 0) {
		sv_buf_printf(err, "unknown setting '%s'", key);
		return false;
	}
	const struct sv_setting_info *in = sv_setting_info_of(id);
	if (in->type == SV_SETTING_TEXT) {
		if (id == SV_SET_redirect_envelope_from && !sv_redirect_from_valid(value)) {
			sv_buf_printf(err,
				      "setting '%s': '%s' is not sender, recipient, orig_recipient, "
				      "user_email, postmaster or <address>",
				      key, value);
			return false;
		}
		sv_free(s->text[id]);
		s->text[id] = sv_strdup(value);
		return true;
	}
	uint64_t n;
	if (!parse_number(value, in->type, &n)) {
		sv_buf_printf(err, "setting '%s': '%s' is not a valid %s", key, value,
			      in->type == SV_SETTING_SECONDS ? "duration" : "number");
		return false;
	}
	if (n < in->min || n > in->max) {
		sv_buf_printf(err, "setting '%s': %llu is outside %llu..%llu", key,
			      (unsigned long long)n, (unsigned long long)in->min,
			      (unsigned long long)in->max);
		return false;
	}
	*field_ptr(s, id) = n;
	return true;
}

bool sv_settings_set_option(struct sv_settings *s, const char *opt, struct sv_buf *err)
{
	const char *eq = strchr(opt, '=');
	if (!eq) {
		sv_buf_printf(err, "option '%s' is not key=value", opt);
		return false;
	}
	char *key = sv_strndup(opt, (size_t)(eq - opt));
	bool ok = sv_settings_set(s, key, eq + 1, err);
	sv_free(key);
	return ok;
}

uint64_t sv_settings_get(const struct sv_settings *s, int id)
{
	return *field_ptr((struct sv_settings *)s, id);
}

const char *sv_settings_text(const struct sv_settings *s, int id)
{
	if (s->text[id])
		return s->text[id];
	const struct sv_setting_info *in = sv_setting_info_of(id);
	return in->text_def ? in->text_def : "";
}

void sv_settings_describe(struct sv_buf *out)
{
	for (int i = 0, n = sv_settings_count(); i < n; i++) {
		const struct sv_setting_info *in = sv_setting_info_of(i);
		if (in->type == SV_SETTING_TEXT)
			sv_buf_printf(out, "%-22s default \"%s\"", in->key, in->text_def);
		else
			sv_buf_printf(out, "%-22s default %llu%s (%llu..%llu)", in->key,
				      (unsigned long long)in->def,
				      in->type == SV_SETTING_SECONDS ? "s" : "",
				      (unsigned long long)in->min, (unsigned long long)in->max);
		if (in->alias[0])
			sv_buf_printf(out, ", also %s", in->alias);
		if (sv_setting_owner(i))
			sv_buf_printf(out, "\n    %s (the %s extension)\n", in->help,
			              sv_setting_owner(i));
		else
			sv_buf_printf(out, "\n    %s\n", in->help);
	}
}
