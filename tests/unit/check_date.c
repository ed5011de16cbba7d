/*
 * check_date.c: RFC 5322 date-times (§3.3, obsolete forms of §4.3), zone
 * offsets and the date parts of RFC 5260 §4.2 (src/mail/date.c).
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/date.h"

/* Each input and the date it gives as "iso8601" in its own zone (NULL:
 * no date-time). */
static const struct {
	const char *in, *want, *rfc;
} parse_cases[] = {
    {"Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00", "§3.3"},
    {"1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00", "§3.3 no day of week"},
    {"01 Jul 2003 10:52:37 -0000", "2003-07-01T10:52:37-00:00", "§3.3 -0000"},
    {"1 Jul 2003 10:52 +0000", "2003-07-01T10:52:00+00:00", "§3.3 no seconds"},
    {"1 jUL 2003 10:52:37 +0000", "2003-07-01T10:52:37+00:00", "month name case"},
    {"tue, 1 Jul 2003 10:52:37 +0000", "2003-07-01T10:52:37+00:00", "day name case"},
    {"  Tue,\r\n 1 Jul\r\n\t2003 10:52:37 +0000  ", "2003-07-01T10:52:37+00:00", "§3.2.2 FWS"},
    {"(a) Tue (b) , 1 (c (d) ) Jul 2003 10 : 52 : 37 +0000 (e)", "2003-07-01T10:52:37+00:00",
     "§4.3 CFWS"},
    {"1 Jul 2003 10:52:37 +0000 (comment \\) still)", "2003-07-01T10:52:37+00:00",
     "§3.2.2 quoted-pair in comment"},
    {"1 Jul 03 10:52:37 +0000", "2003-07-01T10:52:37+00:00", "§4.3 two-digit year < 50"},
    {"1 Jul 49 10:52:37 +0000", "2049-07-01T10:52:37+00:00", "§4.3 49"},
    {"1 Jul 50 10:52:37 +0000", "1950-07-01T10:52:37+00:00", "§4.3 50"},
    {"1 Jul 103 10:52:37 +0000", "2003-07-01T10:52:37+00:00", "§4.3 three-digit year"},
    {"1 Jul 2003 10:52:37 GMT", "2003-07-01T10:52:37+00:00", "§4.3 GMT"},
    {"1 Jul 2003 10:52:37 UT", "2003-07-01T10:52:37+00:00", "§4.3 UT"},
    {"1 Jul 2003 10:52:37 EDT", "2003-07-01T10:52:37-04:00", "§4.3 EDT"},
    {"1 Jul 2003 10:52:37 CST", "2003-07-01T10:52:37-06:00", "§4.3 CST"},
    {"1 Jul 2003 10:52:37 MDT", "2003-07-01T10:52:37-06:00", "§4.3 MDT"},
    {"1 Jul 2003 10:52:37 PST", "2003-07-01T10:52:37-08:00", "§4.3 PST"},
    {"1 Jul 2003 10:52:37 A", "2003-07-01T10:52:37-00:00", "§4.3 military"},
    {"1 Jul 2003 10:52:37 CEST", "2003-07-01T10:52:37-00:00", "§4.3 unknown name"},
    {"29 Feb 2000 00:00:00 +0000", "2000-02-29T00:00:00+00:00", "leap year 2000"},
    {"31 Dec 1998 23:59:60 +0000", "1998-12-31T23:59:60+00:00", "§3.3 leap second"},
    {"1 Jan 1900 00:00:00 +0000", "1900-01-01T00:00:00+00:00", "§3.3 1900"},
    {"31 Dec 9999 23:59:59 +9959", "9999-12-31T23:59:59+99:59", "§3.3 4DIGIT zone"},
    /* not date-times */
    {"", NULL, "empty"},
    {"Tue", NULL, "day name only"},
    {"Tue 1 Jul 2003 10:52:37 +0000", NULL, "§3.3 day name needs ','"},
    {"Tuesday, 1 Jul 2003 10:52:37 +0000", NULL, "§3.3 full day name"},
    {"Xyz, 1 Jul 2003 10:52:37 +0000", NULL, "unknown day name"},
    {"29 Feb 1900 00:00:00 +0000", NULL, "1900 is no leap year"},
    {"29 Feb 2003 00:00:00 +0000", NULL, "2003 is no leap year"},
    {"31 Apr 2003 00:00:00 +0000", NULL, "April has 30 days"},
    {"0 Jul 2003 00:00:00 +0000", NULL, "day 0"},
    {"123 Jul 2003 00:00:00 +0000", NULL, "three-digit day"},
    {"1 July 2003 00:00:00 +0000", NULL, "full month name"},
    {"1 Jul 1899 00:00:00 +0000", NULL, "§3.3 before 1900"},
    {"1 Jul 10000 00:00:00 +0000", NULL, "past 9999"},
    {"1 Jul 2003 24:00:00 +0000", NULL, "hour 24"},
    {"1 Jul 2003 10:60:00 +0000", NULL, "minute 60"},
    {"1 Jul 2003 10:52:61 +0000", NULL, "second 61"},
    {"1 Jul 2003 1:52:37 +0000", NULL, "§3.3 hour has 2 digits"},
    {"1 Jul 2003 10:52:37", NULL, "no zone"},
    {"1 Jul 2003 10:52:37 +000", NULL, "short zone"},
    {"1 Jul 2003 10:52:37 +0060", NULL, "zone minutes 60"},
    {"1 Jul 2003 10:52:37 +0000 x", NULL, "text after the zone"},
    {"1 Jul 2003 10:52:37 +0000 (open", NULL, "unclosed comment"},
    {"1 Jul 2003 10:52:37 +00000", NULL, "long zone"},
    {"1 Jul 2003 10:52:37.5 +0000", NULL, "fractions"},
    {"1 Jul 99999999999999999 10:52:37 +0000", NULL, "huge year"},
};

START_TEST(test_parse)
{
	const char *in = parse_cases[_i].in;
	struct sv_date d;
	bool ok = sv_date_parse(in, strlen(in), &d);
	if (!parse_cases[_i].want) {
		ck_assert_msg(!ok, "%s: '%s' parsed", parse_cases[_i].rfc, in);
		return;
	}
	ck_assert_msg(ok, "%s: '%s' did not parse", parse_cases[_i].rfc, in);
	struct sv_buf b = SV_BUF_INIT;
	sv_date_part(&d, SV_DATE_ISO8601, &b);
	ck_assert_msg(strcmp(b.p, parse_cases[_i].want) == 0, "%s: '%s' gave %s",
	              parse_cases[_i].rfc, in, b.p);
	sv_buf_free(&b);
}
END_TEST

static const struct {
	const char *in;
	int minutes; /* with -1 for unknown and 9999 for invalid */
} zone_cases[] = {
    {"+0000", 0},    {"-0000", -1},   {"+0100", 60},  {"-0530", -330},  {"+2359", 1439},
    {"+2400", 9999}, {"+0060", 9999}, {"0100", 9999}, {"+100", 9999},   {"+01000", 9999},
    {"", 9999},      {"+01a0", 9999}, {"UTC", 9999},  {"-2359", -1439},
};

START_TEST(test_zone)
{
	int m = 12345;
	bool unknown = false;
	const char *in = zone_cases[_i].in;
	bool ok = sv_date_zone_parse(in, strlen(in), &m, &unknown);
	if (zone_cases[_i].minutes == 9999) {
		ck_assert_msg(!ok, "'%s' accepted", in);
	} else if (zone_cases[_i].minutes == -1) {
		ck_assert(ok && m == 0 && unknown);
	} else {
		ck_assert_msg(ok && m == zone_cases[_i].minutes && !unknown, "'%s': %d", in, m);
	}
}
END_TEST

/* Every day from 1600 to 2400 against a plain day counter: the era
 * arithmetic, leap years, and the way back from days to dates. */
START_TEST(test_calendar)
{
	int64_t days = sv_date_days_from_civil(1600, 1, 1);
	int weekday = 6; /* 1600-01-01 was a Saturday */
	for (int64_t y = 1600; y < 2400; y++)
		for (int m = 1; m <= 12; m++) {
			static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			int n = m == 2 && leap ? 29 : dim[m - 1];
			for (int d = 1; d <= n; d++) {
				ck_assert_int_eq(sv_date_days_from_civil(y, m, d), days);
				struct sv_date x;
				sv_date_from_epoch(days * 86400 + 3723, 0, false, &x);
				ck_assert(x.year == y && x.month == m && x.day == d);
				ck_assert(x.hour == 1 && x.minute == 2 && x.second == 3);
				ck_assert_int_eq(sv_date_weekday(&x), weekday);
				days++;
				weekday = (weekday + 1) % 7;
			}
		}
	ck_assert_int_eq(sv_date_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(sv_date_days_from_civil(1969, 12, 31), -1);
}
END_TEST

START_TEST(test_shift)
{
	struct sv_date d, z;
	ck_assert(sv_date_parse("Sat, 1 Jan 2000 00:30:00 +0100", 30, &d));
	ck_assert_int_eq(sv_date_to_epoch(&d), 946683000);
	sv_date_shift(&d, 0, false, &z);
	ck_assert(z.year == 1999 && z.month == 12 && z.day == 31 && z.hour == 23 && z.minute == 30);
	ck_assert_int_eq(sv_date_weekday(&z), 5);
	sv_date_shift(&d, -(9 * 60 + 30), false, &z);
	ck_assert(z.day == 31 && z.hour == 14 && z.minute == 0 && z.zone == -570);
	/* a leap second stays 60 in every zone */
	ck_assert(sv_date_parse("31 Dec 1998 23:59:60 +0000", 26, &d));
	sv_date_shift(&d, 60, false, &z);
	ck_assert(z.year == 1999 && z.hour == 0 && z.minute == 59 && z.second == 60);
}
END_TEST

/* RFC 5260 §4.2: each part of one date */
static const struct {
	enum sv_date_part part;
	const char *name, *want;
} part_cases[] = {
    {SV_DATE_YEAR, "year", "0999"},
    {SV_DATE_MONTH, "month", "03"},
    {SV_DATE_DAY, "day", "04"},
    {SV_DATE_DATE, "date", "0999-03-04"},
    {SV_DATE_JULIAN, "julian", "-314001"},
    {SV_DATE_HOUR, "hour", "05"},
    {SV_DATE_MINUTE, "minute", "06"},
    {SV_DATE_SECOND, "second", "07"},
    {SV_DATE_TIME, "time", "05:06:07"},
    {SV_DATE_ISO8601, "iso8601", "0999-03-04T05:06:07-00:00"},
    {SV_DATE_STD11, "std11", "Mon, 04 Mar 0999 05:06:07 -0000"},
    {SV_DATE_ZONE, "zone", "-0000"},
    {SV_DATE_WEEKDAY, "weekday", "1"},
};

START_TEST(test_part)
{
	/* before 1858: the Modified Julian Day is negative */
	struct sv_date d = {.year = 999,
	                    .month = 3,
	                    .day = 4,
	                    .hour = 5,
	                    .minute = 6,
	                    .second = 7,
	                    .zone = 0,
	                    .zone_unknown = true};
	struct sv_buf b = SV_BUF_INIT;
	sv_date_part(&d, part_cases[_i].part, &b);
	ck_assert_str_eq(b.p, part_cases[_i].want);
	ck_assert_int_eq(sv_date_part_find(part_cases[_i].name, strlen(part_cases[_i].name)),
	                 (int)part_cases[_i].part);
	sv_buf_free(&b);
}
END_TEST

START_TEST(test_part_names)
{
	ck_assert_int_eq(sv_date_part_find("ISO8601", 7), SV_DATE_ISO8601);
	ck_assert_int_eq(sv_date_part_find("years", 5), -1);
	ck_assert_int_eq(sv_date_part_find("", 0), -1);
	struct sv_date d = {.year = 1858, .month = 11, .day = 17, .zone = 0};
	struct sv_buf b = SV_BUF_INIT;
	sv_date_part(&d, SV_DATE_JULIAN, &b);
	ck_assert_str_eq(b.p, "0");
	sv_buf_reset(&b);
	sv_date_part(&d, SV_DATE_ZONE, &b);
	ck_assert_str_eq(b.p, "+0000"); /* §4.2: zero has a positive sign */
	sv_buf_free(&b);
}
END_TEST

/* Hostile text: never read out of bounds (ASan), never loop. */
START_TEST(test_hostile)
{
	unsigned seed = 7;
	char buf[64];
	static const char alpha[] = "0123456789 :,+-()\\\r\nJanFebTueGMTZ";
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = alpha[rand_r(&seed) % (int)(sizeof alpha - 1)];
		struct sv_date d;
		if (sv_date_parse(buf, n, &d)) {
			ck_assert(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
			ck_assert(d.year >= 1900 && d.year <= 9999 && d.second <= 60);
		}
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("date");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof parse_cases / sizeof parse_cases[0]));
	tcase_add_loop_test(tc, test_zone, 0, (int)(sizeof zone_cases / sizeof zone_cases[0]));
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_shift);
	tcase_add_loop_test(tc, test_part, 0, (int)(sizeof part_cases / sizeof part_cases[0]));
	tcase_add_test(tc, test_part_names);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	setlocale(LC_ALL, "");
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
