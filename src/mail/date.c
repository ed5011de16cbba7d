/*
 * date.c: RFC 5322 date-times (§3.3, the obsolete forms of §4.3), the
 * calendar arithmetic the date extension needs, and RFC 5260 §4.2's date
 * parts.
 *
 * Everything is our own code over the proleptic Gregorian calendar: no
 * locale, no strptime, no mktime or timegm, so the result never depends on
 * the process's environment. Zone offsets are whole minutes; a leap second
 * (second 60) is kept as written while a date is shifted between zones.
 */
#include <inttypes.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/date.h"

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Floor division, for dates before the epoch. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The civil-from-days algorithm in eras of 400 years (146097 days), which
 * repeat exactly in the Gregorian calendar; the year starts in March so
 * that the leap day is the last day of it. */
int64_t sv_date_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                                   /* 0..399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y_r, int *m_r, int *d_r)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = yoe + era * 400 + (*m_r <= 2);
}

int64_t sv_date_to_epoch(const struct sv_date *d)
{
	int64_t days = sv_date_days_from_civil(d->year, d->month, d->day);
	return days * 86400 + d->hour * 3600 + d->minute * 60 + d->second - (int64_t)d->zone * 60;
}

void sv_date_from_epoch(int64_t t, int zone, bool zone_unknown, struct sv_date *out)
{
	t += (int64_t)zone * 60;
	int64_t days = floor_div(t, 86400);
	int64_t secs = t - days * 86400;
	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->zone = zone;
	out->zone_unknown = zone_unknown;
}

void sv_date_shift(const struct sv_date *d, int zone, bool zone_unknown, struct sv_date *out)
{
	/* zones differ by whole minutes: shift the minute, keep the second
	   as written, so that a leap second stays 60 */
	struct sv_date m = *d;
	m.second = 0;
	sv_date_from_epoch(sv_date_to_epoch(&m), zone, zone_unknown, out);
	out->second = d->second;
}

int sv_date_weekday(const struct sv_date *d)
{
	/* 1970-01-01 was a Thursday */
	int64_t w = (sv_date_days_from_civil(d->year, d->month, d->day) + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

/* ---- parsing (RFC 5322 §3.3, §4.3) ---- */

struct scan {
	const char *p, *end;
};

/* RFC 5322 §3.2.2: CFWS, comments nested and with quoted-pairs; false
 * when a comment does not end. */
static bool skip_cfws(struct scan *s)
{
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			s->p++;
		} else if (c == '(') {
			size_t depth = 0;
			do {
				if (*s->p == '\\' && s->p + 1 < s->end)
					s->p++;
				else if (*s->p == '(')
					depth++;
				else if (*s->p == ')')
					depth--;
				s->p++;
			} while (depth && s->p < s->end);
			if (depth)
				return false;
		} else {
			break;
		}
	}
	return true;
}

/* A run of digits after CFWS: its value and length (0: none). Runs longer
 * than 9 digits are refused (no field of a date has that many). */
static size_t scan_digits(struct scan *s, int64_t *v)
{
	if (!skip_cfws(s))
		return 0;
	size_t n = 0;
	*v = 0;
	while (s->p < s->end && sv_ascii_isdigit((unsigned char)*s->p)) {
		if (++n > 9)
			return 0;
		*v = *v * 10 + (*s->p++ - '0');
	}
	return n;
}

/* A run of letters after CFWS (at most 16: no name is longer). */
static size_t scan_word(struct scan *s, const char **w)
{
	if (!skip_cfws(s))
		return 0;
	*w = s->p;
	while (s->p < s->end && sv_ascii_isalpha((unsigned char)*s->p))
		s->p++;
	size_t n = (size_t)(s->p - *w);
	return n <= 16 ? n : 0;
}

static bool scan_char(struct scan *s, char c)
{
	if (!skip_cfws(s) || s->p >= s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

static int name_index(const char *const *names, size_t n, const char *w, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (sv_ascii_ieq(w, len, names[i], 3))
			return (int)i;
	return -1;
}

/* RFC 5322 §3.3 zone and §4.3 obs-zone. */
static bool scan_zone(struct scan *s, struct sv_date *d)
{
	if (!skip_cfws(s) || s->p >= s->end)
		return false;
	d->zone_unknown = false;
	if (*s->p == '+' || *s->p == '-') {
		bool neg = *s->p++ == '-';
		if (s->end - s->p < 4)
			return false;
		for (int i = 0; i < 4; i++)
			if (!sv_ascii_isdigit((unsigned char)s->p[i]))
				return false;
		int hh = (s->p[0] - '0') * 10 + (s->p[1] - '0');
		int mm = (s->p[2] - '0') * 10 + (s->p[3] - '0');
		s->p += 4;
		if (mm > 59)
			return false;
		d->zone = (neg ? -1 : 1) * (hh * 60 + mm);
		d->zone_unknown = neg && d->zone == 0;
		return true;
	}
	static const struct {
		const char *name;
		int zone;
	} names[] = {{"UT", 0},        {"GMT", 0},       {"EST", -5 * 60}, {"EDT", -4 * 60},
	             {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60}, {"MDT", -6 * 60},
	             {"PST", -8 * 60}, {"PDT", -7 * 60}};
	const char *w;
	size_t n = scan_word(s, &w);
	if (n == 0)
		return false;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (sv_ascii_ieq(w, n, names[i].name, strlen(names[i].name))) {
			d->zone = names[i].zone;
			return true;
		}
	/* §4.3: military zones (their sign was reversed in RFC 822) and
	   other names whose meaning is unknown are "-0000" */
	d->zone = 0;
	d->zone_unknown = true;
	return true;
}

/* RFC 5322 §3.3 year and §4.3 obs-year: two digits are 2000-2049 or
 * 1950-1999, three digits are added to 1900. */
static bool scan_year(struct scan *s, int64_t *y)
{
	size_t n = scan_digits(s, y);
	if (n == 2)
		*y += *y < 50 ? 2000 : 1900;
	else if (n == 3)
		*y += 1900;
	else if (n < 4)
		return false;
	return *y >= 1900 && *y <= 9999;
}

static bool scan_2digit(struct scan *s, int *v, int max)
{
	int64_t x;
	if (scan_digits(s, &x) != 2 || x > max)
		return false;
	*v = (int)x;
	return true;
}

bool sv_date_parse(const char *str, size_t len, struct sv_date *out)
{
	struct scan s = {str, str + len};
	struct sv_date d = {0};
	const char *w;
	if (!skip_cfws(&s))
		return false;
	/* [day-of-week ","] */
	if (s.p < s.end && sv_ascii_isalpha((unsigned char)*s.p)) {
		size_t n = scan_word(&s, &w);
		if (n != 3 || name_index(day_names, 7, w, n) < 0 || !scan_char(&s, ','))
			return false;
	}
	int64_t day;
	size_t dn = scan_digits(&s, &day);
	if (dn < 1 || dn > 2)
		return false;
	size_t mn = scan_word(&s, &w);
	int month = mn == 3 ? name_index(month_names, 12, w, mn) : -1;
	if (month < 0 || !scan_year(&s, &d.year))
		return false;
	d.month = month + 1;
	if (day < 1 || day > days_in_month(d.year, d.month))
		return false;
	d.day = (int)day;
	if (!scan_2digit(&s, &d.hour, 23) || !scan_char(&s, ':') || !scan_2digit(&s, &d.minute, 59))
		return false;
	struct scan save = s;
	if (scan_char(&s, ':')) {
		if (!scan_2digit(&s, &d.second, 60))
			return false;
	} else {
		s = save;
	}
	if (!scan_zone(&s, &d) || !skip_cfws(&s) || s.p != s.end)
		return false;
	*out = d;
	return true;
}

bool sv_date_zone_parse(const char *s, size_t len, int *minutes_r, bool *unknown_r)
{
	if (len != 5 || (s[0] != '+' && s[0] != '-'))
		return false;
	for (size_t i = 1; i < 5; i++)
		if (!sv_ascii_isdigit((unsigned char)s[i]))
			return false;
	int hh = (s[1] - '0') * 10 + (s[2] - '0');
	int mm = (s[3] - '0') * 10 + (s[4] - '0');
	if (hh > 23 || mm > 59)
		return false;
	*minutes_r = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	*unknown_r = s[0] == '-' && *minutes_r == 0;
	return true;
}

/* ---- date parts (RFC 5260 §4.2) ---- */

static const char *const part_names[] = {
    [SV_DATE_YEAR] = "year",       [SV_DATE_MONTH] = "month",   [SV_DATE_DAY] = "day",
    [SV_DATE_DATE] = "date",       [SV_DATE_JULIAN] = "julian", [SV_DATE_HOUR] = "hour",
    [SV_DATE_MINUTE] = "minute",   [SV_DATE_SECOND] = "second", [SV_DATE_TIME] = "time",
    [SV_DATE_ISO8601] = "iso8601", [SV_DATE_STD11] = "std11",   [SV_DATE_ZONE] = "zone",
    [SV_DATE_WEEKDAY] = "weekday",
};

int sv_date_part_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof part_names / sizeof part_names[0]; i++)
		if (sv_ascii_ieq(name, len, part_names[i], strlen(part_names[i])))
			return (int)i;
	return -1;
}

/* §4.2 "zone": "+hhmm" or "-hhmm", zero with a "+" unless it is the
 * unknown zone "-0000" (RFC 5322 §3.3); sep goes between hours and
 * minutes (RFC 3339's offsets have a ':'). */
static void put_zone(const struct sv_date *d, const char *sep, struct sv_buf *out)
{
	int z = d->zone < 0 ? -d->zone : d->zone;
	char sign = d->zone < 0 || d->zone_unknown ? '-' : '+';
	sv_buf_printf(out, "%c%02d%s%02d", sign, z / 60, sep, z % 60);
}

void sv_date_part(const struct sv_date *d, enum sv_date_part part, struct sv_buf *out)
{
	switch (part) {
	case SV_DATE_YEAR: sv_buf_printf(out, "%04" PRId64, d->year); break;
	case SV_DATE_MONTH: sv_buf_printf(out, "%02d", d->month); break;
	case SV_DATE_DAY: sv_buf_printf(out, "%02d", d->day); break;
	case SV_DATE_DATE:
		sv_buf_printf(out, "%04" PRId64 "-%02d-%02d", d->year, d->month, d->day);
		break;
	case SV_DATE_JULIAN:
		/* the Modified Julian Day: days since 1858-11-17, which is
		   day 40587 before 1970-01-01 */
		sv_buf_printf(out, "%" PRId64,
		              sv_date_days_from_civil(d->year, d->month, d->day) + 40587);
		break;
	case SV_DATE_HOUR: sv_buf_printf(out, "%02d", d->hour); break;
	case SV_DATE_MINUTE: sv_buf_printf(out, "%02d", d->minute); break;
	case SV_DATE_SECOND: sv_buf_printf(out, "%02d", d->second); break;
	case SV_DATE_TIME:
		sv_buf_printf(out, "%02d:%02d:%02d", d->hour, d->minute, d->second);
		break;
	case SV_DATE_ISO8601:
		/* RFC 3339 §5.6 date-time with a numeric offset; "-00:00" is
		   its unknown local offset too (§4.3) */
		sv_buf_printf(out, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", d->year, d->month,
		              d->day, d->hour, d->minute, d->second);
		put_zone(d, ":", out);
		break;
	case SV_DATE_STD11:
		/* RFC 5322 §3.3 date-time, as a Date: field writes it */
		sv_buf_printf(out, "%s, %02d %s %04" PRId64 " %02d:%02d:%02d ",
		              day_names[sv_date_weekday(d)], d->day, month_names[d->month - 1],
		              d->year, d->hour, d->minute, d->second);
		put_zone(d, "", out);
		break;
	case SV_DATE_ZONE: put_zone(d, "", out); break;
	case SV_DATE_WEEKDAY: sv_buf_printf(out, "%d", sv_date_weekday(d)); break;
	}
}
