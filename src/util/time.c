#include "util.h"

void cw_time_iso(time_t t, char out[CW_TIME_ISO])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, CW_TIME_ISO, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cw_time_now_iso(char out[CW_TIME_ISO])
{
	cw_time_iso(time(NULL), out);
}

long cw_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double cw_time_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool cw_parse_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool cw_time_valid_date(int y, int mo, int d)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mo < 1 || mo > 12 || d < 1)
		return false;
	return d <= days[mo - 1] + (mo == 2 && leap);
}

time_t cw_time_utc(int y, int mo, int d, int h, int mi, int se)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return timegm(&tm);
}

/* cw_parse_digits() as the parser below tests it: 0, or -1 on failure */
static int digits(const char *s, int n, int *out)
{
	return cw_parse_digits(s, n, out) ? 0 : -1;
}

int cw_time_parse_iso(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return CW_EINVAL;
	/* timegm() would read 2025-02-30 as 2025-03-02: a day the month
	 * does not have is an error, not another day */
	if (!cw_time_valid_date(y, mo, d))
		return CW_EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi))
			return CW_EINVAL;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &se))
				return CW_EINVAL;
			p += 3;
		}
		if (*p == '.' || *p == ',') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om = 0;
			int sign = *p == '-' ? -1 : 1;
			if (digits(p + 1, 2, &oh))
				return CW_EINVAL;
			p += 3;
			if (*p == ':')
				p++;
			if (*p && digits(p, 2, &om) == 0)
				p += 2;
			off = sign * (oh * 3600 + om * 60);
		}
		if (h > 23 || mi > 59 || se > 60)
			return CW_EINVAL;
	}
	if (*p)
		return CW_EINVAL;
	*out = cw_time_utc(y, mo, d, h, mi, se) - off;
	return CW_OK;
}
