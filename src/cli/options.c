/*
 * options: a command's options from one spec string (see cli.h), read
 * with getopt_long so that abbreviations, "--name=value" and "--" work
 * as they do everywhere else.
 */
#include <assert.h>
#include <getopt.h>
#include <stdarg.h>

#include "cli.h"

enum opt_kind { OPT_FLAG, OPT_VALUE, OPT_NUMBER, OPT_LIST };

struct opt {
	char name[32];
	enum opt_kind kind;
	long lo, hi;
	void *dst;
};

/* One word of the spec into *o; false when it is malformed (a
 * programmer's error, so it is asserted in debug builds). */
static bool parse_word(const char *w, size_t n, struct opt *o, char *shortc)
{
	size_t k = 0;

	while (k < n && w[k] != '/' && w[k] != '=' && w[k] != '#' &&
	       w[k] != '+')
		k++;
	if (k == 0 || k >= sizeof(o->name))
		return false;
	memcpy(o->name, w, k);
	o->name[k] = '\0';
	*shortc = 0;
	if (k < n && w[k] == '/') {
		if (k + 1 >= n)
			return false;
		*shortc = w[k + 1];
		k += 2;
	}
	o->kind = OPT_FLAG;
	if (k < n && w[k] == '=') {
		o->kind = OPT_VALUE;
		k++;
	} else if (k < n && w[k] == '+') {
		o->kind = OPT_LIST;
		k++;
	} else if (k < n && w[k] == '#') {
		char *end;
		o->kind = OPT_NUMBER;
		o->lo = strtol(w + k + 1, &end, 10);
		if (end[0] != '.' || end[1] != '.')
			return false;
		o->hi = strtol(end + 2, &end, 10);
		k = (size_t)(end - w);
	}
	return k == n;
}

int cw_cli_options(int argc, char **argv, const char *spec, ...)
{
	struct opt opt[CW_CLI_MAX_OPTIONS];
	struct option lopt[CW_CLI_MAX_OPTIONS + 1];
	char shorts[3 * CW_CLI_MAX_OPTIONS + 1];
	size_t n = 0, ns = 0;
	const char *p = spec;
	va_list ap;
	int c;

	va_start(ap, spec);
	while (*p) {
		const char *w;
		char sc;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		if (n == CW_CLI_MAX_OPTIONS ||
		    !parse_word(w, (size_t)(p - w), &opt[n], &sc)) {
			assert(!"cw_cli_options: malformed spec");
			va_end(ap);
			return cw_cli_usage(argv[0], "internal: bad option "
						     "spec");
		}
		opt[n].dst = va_arg(ap, void *);
		lopt[n] = (struct option){ opt[n].name,
					   opt[n].kind == OPT_FLAG
						   ? no_argument
						   : required_argument,
					   NULL, sc ? sc : 256 + (int)n };
		if (sc) {
			shorts[ns++] = sc;
			if (opt[n].kind != OPT_FLAG)
				shorts[ns++] = ':';
		}
		n++;
	}
	va_end(ap);
	shorts[ns] = '\0';
	lopt[n] = (struct option){ NULL, 0, NULL, 0 };

	while ((c = getopt_long(argc, argv, shorts, lopt, NULL)) != -1) {
		size_t i = 0;

		while (i < n && lopt[i].val != c)
			i++;
		if (i == n)
			return CW_EXIT_USAGE; /* '?': getopt or main reports it */
		switch (opt[i].kind) {
		case OPT_FLAG:
			*(bool *)opt[i].dst = true;
			break;
		case OPT_VALUE:
			*(const char **)opt[i].dst = optarg;
			break;
		case OPT_LIST:
			cw_strv_push(opt[i].dst, optarg);
			break;
		case OPT_NUMBER:
			if (cw_parse_long(optarg, opt[i].lo, opt[i].hi,
					  (long *)opt[i].dst))
				return cw_cli_usage(argv[0],
						    "--%s '%s': expected "
						    "%ld..%ld",
						    opt[i].name, optarg,
						    opt[i].lo, opt[i].hi);
			break;
		}
	}
	return CW_EXIT_OK;
}
