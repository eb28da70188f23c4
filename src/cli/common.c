#include <math.h>
#include <unistd.h>

#include "cli.h"

int cw_cli_exit_for(int rc)
{
	switch (rc) {
	case CW_OK:
		return CW_EXIT_OK;
	case CW_ENOTFOUND:
		return CW_EXIT_NOTFOUND;
	case CW_EEMPTY:
		return CW_EXIT_EMPTY;
	case CW_EINVAL:
	default:
		return CW_EXIT_FAIL;
	}
}

/* Under --json an error is one JSON object on stderr (set by main). */
static bool json_errors;
static bool error_reported;
/* The last failed item of a batch and how many failed (see cli.h). */
static char item_msg[CW_ERR_MSG_MAX];
static size_t item_errors;

void cw_cli_set_json_errors(bool on)
{
	json_errors = on;
}

bool cw_cli_error_reported(void)
{
	return error_reported;
}

/* vsnprintf into msg, empty on an encoding error. */
static void format_msg(char *msg, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void format_msg(char *msg, size_t size, const char *fmt, va_list ap)
{
	if (vsnprintf(msg, size, fmt, ap) < 0)
		msg[0] = '\0';
}

void cw_cli_item_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_msg(item_msg, sizeof(item_msg), fmt, ap);
	va_end(ap);
	cw_redact_credentials(item_msg);
	item_errors++;
	fprintf(stderr, "clausewatch: %s\n", item_msg);
}

const char *cw_cli_item_errors(size_t *n)
{
	*n = item_errors;
	return item_errors ? item_msg : NULL;
}

void cw_cli_report_json(const char *msg, int code)
{
	json_t *o =
		json_pack("{sosi}", "error", cw_cli_jstr(msg), "code", code);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	fprintf(stderr, "%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
	error_reported = true;
}

int cw_cli_fail(const struct cw_err *err)
{
	char clean[CW_ERR_MSG_MAX];
	const char *msg = err->msg[0] ? err->msg : cw_rc_name(err->rc);
	int code = cw_cli_exit_for(err->rc ? err->rc : CW_ERROR);

	/* no error printed names a URL's password */
	snprintf(clean, sizeof(clean), "%s", msg);
	cw_redact_credentials(clean);
	msg = clean;

	if (json_errors)
		cw_cli_report_json(msg, code);
	else
		fprintf(stderr, "clausewatch: %s\n", msg);
	error_reported = true;
	return code;
}

int cw_cli_usage(const char *cmd, const char *fmt, ...)
{
	char msg[CW_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_msg(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_errors) {
		char full[CW_ERR_MSG_MAX + 64];
		snprintf(full, sizeof(full), "%s: %s", cmd, msg);
		cw_cli_report_json(full, CW_EXIT_USAGE);
	} else {
		fprintf(stderr, "clausewatch %s: %s (see 'clausewatch help')\n",
			cmd, msg);
	}
	error_reported = true;
	return CW_EXIT_USAGE;
}

char *cw_cli_db_path(const struct cw_cli *cli)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (cli->db_path)
		return cw_strdup(cli->db_path);
	if (xdg && *xdg)
		return cw_asprintf("%s/clausewatch/clausewatch.db", xdg);
	return cw_asprintf("%s/.local/share/clausewatch/clausewatch.db",
			   home && *home ? home : ".");
}

char *cw_cli_log_key_path(const struct cw_cli *cli)
{
	char *db;
	char *path;

	if (cli->log_key)
		return cw_strdup(cli->log_key);
	db = cw_cli_db_path(cli);
	path = cw_asprintf("%s.log-key", db);
	free(db);
	return path;
}

char *cw_cli_log_origin(const struct cw_cli *cli)
{
	char host[256] = "localhost";
	char *db = cw_cli_db_path(cli);
	const char *base = strrchr(db, '/');
	char *origin;
	size_t n;

	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	base = base ? base + 1 : db;
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".db"))
		n -= 3;
	origin = cw_asprintf("%s/clausewatch/%.*s", host, (int)n, base);
	/* a key name has no spaces, no '+' and nothing outside ASCII */
	for (char *p = origin; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '+')
			*p = '-';
	free(db);
	return origin;
}

int cw_cli_log_key(struct cw_cli *cli, bool create, const char *origin,
		   struct cw_note_key *out, bool *created, struct cw_err *err)
{
	char *path = cw_cli_log_key_path(cli);
	struct cw_buf b = CW_BUF_INIT;
	char *derived = NULL;
	int rc;

	if (created)
		*created = false;
	rc = cw_file_read(&b, path, 4096, err);
	if (rc == CW_ENOTFOUND && create) {
		if (!origin)
			origin = derived = cw_cli_log_origin(cli);
		rc = cw_note_key_new(origin, out, err);
		if (!rc) {
			cw_buf_clear(&b);
			cw_note_skey(out, &b);
			cw_buf_addc(&b, '\n');
			rc = cw_file_write_new(path, b.ptr, b.len, 0600, err);
		}
		if (rc == CW_EEXISTS) {
			/* another process made it first: use that one */
			cw_buf_clear(&b);
			rc = cw_file_read(&b, path, 4096, err);
		} else if (!rc) {
			if (created)
				*created = true;
			goto done;
		}
	}
	if (!rc) {
		rc = cw_note_key_parse(b.ptr, b.len, out, err);
		if (!rc && !out->has_private)
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': a verifier key, not the private "
					"key the log signs with",
					path);
		else if (rc)
			cw_err_prefix(err, "'%s': ", path);
	}
done:
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	cw_buf_release(&b);
	free(derived);
	free(path);
	return rc;
}

int cw_cli_signing_key(struct cw_cli *cli, struct cw_note_key *k,
		       struct cw_err *err)
{
	bool created = false;
	int rc = cw_cli_log_key(cli, true, NULL, k, &created, err);

	if (!rc && created && !cli->quiet) {
		char *path = cw_cli_log_key_path(cli);
		fprintf(stderr,
			"clausewatch: made the log's signing key '%s' "
			"(origin '%s'); 'clausewatch init --origin NAME' "
			"chooses the name before the first use\n",
			path, k->name);
		free(path);
	}
	return rc;
}

int cw_cli_read_secret(const char *path, char **out, struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_file_read(&b, path, 4096, err);

	*out = NULL;
	if (rc)
		return rc;
	/* one line: the trailing newline of an editor is not the secret */
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.len--;
	if (b.len == 0 || memchr(b.ptr, '\0', b.len) ||
	    memchr(b.ptr, '\n', b.len)) {
		if (b.ptr)
			explicit_bzero(b.ptr, b.len);
		cw_buf_release(&b);
		return cw_err_set(err, CW_EINVAL,
				  "'%s': a secret file holds one line", path);
	}
	b.ptr[b.len] = '\0';
	*out = cw_buf_detach(&b, NULL);
	return CW_OK;
}

void cw_cli_print_json(const json_t *j)
{
	/* 15 significant digits print a value rounded with cw_cli_real()
	 * as its decimals, not as the nearest double's 17 digits */
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
					JSON_REAL_PRECISION(15));

	puts(s ? s : "null");
	free(s);
}

json_t *cw_cli_jstrn(const char *s, size_t len)
{
	return cw_json_textn(s, len);
}

json_t *cw_cli_jstr(const char *s)
{
	return cw_json_text(s);
}

json_t *cw_cli_real(double v, int decimals)
{
	double scale = 1;

	for (int i = 0; i < decimals; i++)
		scale *= 10;
	return json_real(round(v * scale) / scale);
}

void cw_cli_print_json_take(json_t *j)
{
	cw_cli_print_json(j);
	json_decref(j);
}

json_t *cw_cli_provisions_json(const struct cw_segmentation *seg)
{
	return cw_segment_json(seg);
}

const char *cw_cli_data_dir(void)
{
	const char *env = getenv("CW_DATA_DIR");

	if (env && *env)
		return env;
	if (cw_dir_exists(CW_SOURCE_ROOT "/data"))
		return CW_SOURCE_ROOT "/data";
	return "/usr/local/share/clausewatch";
}

int cw_cli_find_version(struct cw_store *s, const char *arg,
			struct cw_store_doc *doc, char **version,
			struct cw_store_version *ver, struct cw_err *err)
{
	int rc = cw_view_find_document(s, arg, doc, version, err);
	if (!rc)
		rc = cw_view_resolve_version(s, doc->id, *version, ver, err);
	return rc;
}

int cw_cli_bad_option(const char *cmd, const char *arg)
{
	return cw_cli_usage(cmd, "unknown option or missing value '%s'", arg);
}

int cw_cli_extra_argument(const char *cmd, const char *arg)
{
	return cw_cli_usage(cmd, "unexpected argument '%s'", arg);
}
