/*
 * date.h: date-times of RFC 5322 §3.3 (with the obsolete forms of §4.3),
 * calendar arithmetic of our own (no locale, no strptime, no mktime), the
 * zone offsets "+hhmm" / "-hhmm", and the date parts of RFC 5260 §4.2
 * that the date and currentdate tests match.
 */
#ifndef SV_DATE_H
#define SV_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sv_buf;

/* A date-time in some zone. The fields are that zone's wall clock. */
struct sv_date {
	int64_t year; /* 0..9999 for every date a part can be taken from */
	int month;    /* 1..12 */
	int day;      /* 1..31, valid for the month */
	int hour, minute;
	int second; /* 0..60 (RFC 5322 §3.3 allows a leap second) */
	int zone;   /* offset east of UTC in minutes */
	/* RFC 5322 §3.3: "-0000": the time is UTC and the local zone is
	   unknown; also every obsolete zone whose meaning is unknown (§4.3) */
	bool zone_unknown;
};

/*
 * Parse a date-time (RFC 5322 §3.3 date-time, and §4.3: obs-day-of-week,
 * obs-year with two or three digits, the zone names UT, GMT, EST, EDT,
 * CST, CDT, MST, MDT, PST, PDT, military and unknown zone names as
 * "-0000", seconds left out, comments and folding whitespace anywhere
 * between the tokens). Only CFWS may follow the zone. False when the text
 * is no date-time, or names a date or time the calendar does not have
 * (January 32nd, February 29th of a common year, 24:00), or a year before
 * 1900 (§3.3) or past 9999.
 */
bool sv_date_parse(const char *s, size_t len, struct sv_date *out);

/* A zone offset as RFC 5260 §4.1 writes it: "+" or "-" then hhmm, hh at
 * most 23 and mm at most 59. *minutes_r gets the offset east of UTC;
 * *unknown_r is true for "-0000" (RFC 5322 §3.3). */
bool sv_date_zone_parse(const char *s, size_t len, int *minutes_r, bool *unknown_r);

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (may
 * be negative). */
int64_t sv_date_days_from_civil(int64_t y, int m, int d);
/* Seconds since the epoch of a date-time (a leap second counts as the
 * second after it). */
int64_t sv_date_to_epoch(const struct sv_date *d);
/* The date-time at t (seconds since the epoch) in the zone given. */
void sv_date_from_epoch(int64_t t, int zone, bool zone_unknown, struct sv_date *out);
/* d shifted to another zone: the same instant on that zone's clock; a
 * leap second stays second 60. */
void sv_date_shift(const struct sv_date *d, int zone, bool zone_unknown, struct sv_date *out);
/* The day of the week, 0 Sunday .. 6 Saturday. */
int sv_date_weekday(const struct sv_date *d);

/* The date parts of RFC 5260 §4.2. */
enum sv_date_part {
	SV_DATE_YEAR,
	SV_DATE_MONTH,
	SV_DATE_DAY,
	SV_DATE_DATE,
	SV_DATE_JULIAN,
	SV_DATE_HOUR,
	SV_DATE_MINUTE,
	SV_DATE_SECOND,
	SV_DATE_TIME,
	SV_DATE_ISO8601,
	SV_DATE_STD11,
	SV_DATE_ZONE,
	SV_DATE_WEEKDAY,
};
/* The part called name (case-insensitive), or -1. */
int sv_date_part_find(const char *name, size_t len);
/* Append the part's value to out (RFC 5260 §4.2's forms). */
void sv_date_part(const struct sv_date *d, enum sv_date_part part, struct sv_buf *out);

#endif
