/*
 * Tests of the notify module: signatures, matching, the outbox written in
 * the transaction of its change, rendering (JSON, email, Atom), delivery
 * failures and digests, on two real versions of ChatGPT's Terms of
 * Service from ../shared/corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diff/diff.h"
#include "notify/notify.h"
#include "notify/notify_int.h"
#include "helpers.h"
#include "segment/segment.h"
#include "store/store.h"

static char shared[1024];
static char dbpath[256];

static bool have_corpus(void)
{
	const char *env = getenv("CW_SHARED"), *root = getenv("CW_SOURCE_ROOT");
	char probe[1200];

	if (env && *env)
		snprintf(shared, sizeof(shared), "%s", env);
	else
		snprintf(shared, sizeof(shared), "%s/../shared",
			 root ? root : ".");
	snprintf(probe, sizeof(probe),
		 "%s/corpus/versions/ChatGPT/Terms of Service", shared);
	return cw_dir_exists(probe);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/cw-test-notify-%d.db",
		 (int)getpid());
	unlink(dbpath);
	return 0;
}

static int teardown(void **state)
{
	char p[300];

	(void)state;
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	return 0;
}

/* ---- signatures ---- */

static void test_notify__signature_is_hmac_sha256(void **state)
{
	/* the key and message of RFC 4231, test case 2, behind the time:
	 * HMAC-SHA256("Jefe", "1700000000.what do ya want for nothing?"),
	 * as `openssl dgst -sha256 -hmac Jefe` computes it */
	char sig[CW_NOTIFY_SIG_MAX];

	(void)state;
	cw_notify_sign(sig, "Jefe", 1700000000, "what do ya want for nothing?",
		       28);
	assert_string_equal(sig, "t=1700000000,v1="
				 "1cdd0650c8be1cb0974b1788d458b1e781206cf"
				 "ef59b85faafc582d2e182c57e");
	/* the time is signed: one second later, another signature */
	cw_notify_sign(sig, "Jefe", 1700000001, "what do ya want for nothing?",
		       28);
	assert_string_equal(sig, "t=1700000001,v1="
				 "9b1bf98549c40daa2f6f77815f85ac92e4e5496"
				 "5dcad85a7255aadec8faed4da");
	/* one byte more and the signature changes */
	cw_notify_sign(sig, "Jefe", 1700000000, "what do ya want for nothing?!",
		       29);
	assert_string_not_equal(sig, "t=1700000000,v1="
				     "1cdd0650c8be1cb0974b1788d458b1e78120"
				     "6cfef59b85faafc582d2e182c57e");
	/* the longest time fits */
	cw_notify_sign(sig, "k", INT64_MIN, "", 0);
	assert_int_equal(strlen(sig), 2 + 20 + 4 + 64);
}

/* ---- matching ---- */

/* cw_notify_sub_matches() on the record decoded from `json` (or NULL). */
static bool matches(const struct cw_store_sub *sub, const char *service,
		    const char *type, const char *materiality, const char *json)
{
	struct cw_change_record r;
	struct cw_err err = CW_ERR_INIT;
	bool yes;

	if (!json)
		return cw_notify_sub_matches(sub, service, type, materiality,
					     NULL);
	assert_int_equal(cw_change_record_decode(&r, json, strlen(json), &err),
			 CW_OK);
	yes = cw_notify_sub_matches(sub, service, type, materiality, &r);
	cw_change_record_release(&r);
	return yes;
}

static void test_notify__subscription_matching(void **state)
{
	struct cw_store_sub sub;
	const char *cat_json = "{\"changes\":[{\"kind\":\"modified\","
			       "\"materiality\":"
			       "\"substantive\",\"categories\":["
			       "\"arbitration\"]}]}";

	(void)state;
	memset(&sub, 0, sizeof(sub));
	sub.min_materiality = (char *)"editorial";
	sub.services = (char *)"";
	sub.documents = (char *)"";
	sub.categories = (char *)"";
	assert_true(matches(&sub, "OpenAI", "Terms of Service", "substantive",
			    NULL));
	assert_false(
		matches(&sub, "OpenAI", "Terms of Service", "cosmetic", NULL));
	sub.services = (char *)"Anthropic\nOpenAI";
	assert_true(
		matches(&sub, "OpenAI", "Privacy Policy", "editorial", NULL));
	assert_false(
		matches(&sub, "OpenAIX", "Privacy Policy", "editorial", NULL));
	sub.services = (char *)"";
	sub.documents = (char *)"OpenAI/Terms of Service";
	assert_true(
		matches(&sub, "OpenAI", "Terms of Service", "editorial", NULL));
	assert_false(
		matches(&sub, "OpenAI", "Privacy Policy", "substantive", NULL));
	/* categories: decided when the change carries them, else pending */
	sub.documents = (char *)"";
	sub.categories = (char *)"arbitration";
	assert_true(matches(&sub, "X", "T", "substantive", cat_json));
	sub.categories = (char *)"liability";
	assert_false(matches(&sub, "X", "T", "substantive", cat_json));
	assert_true(matches(&sub, "X", "T", "substantive",
			    "{\"changes\":[{\"kind\":\"modified\","
			    "\"materiality\":\"substantive\"}]}"));
	assert_true(cw_notify_cadence_valid("weekly"));
	assert_false(cw_notify_cadence_valid("hourly"));
}

/*
 * The category filter on annotated changes (the JSON pipeline_analyze.c
 * writes): either side of a changed provision counts, categories are ORed
 * and ANDed with the scope, each provision is judged at its own
 * materiality, and only a change that was not analysed lets the filter
 * through undecided.
 */
static void test_notify__category_filter(void **state)
{
	struct cw_store_sub sub;
	/* 9.3 lost its arbitration clause (old side only), substantively;
	   8.2 (liability) changed cosmetically */
	const char *annotated =
		"{\"changes\":[{\"kind\":\"modified\",\"new_key\":\"9.3\","
		"\"materiality\":\"substantive\",\"categories\":[{\"id\":"
		"\"mandatory_arbitration\",\"in\":\"old\",\"confidence\":0.9,"
		"\"severity\":\"potentially_unfair\"},{\"id\":"
		"\"class_action_waiver\",\"in\":\"both\"}]},"
		"{\"kind\":\"modified\",\"new_key\":\"8.2\",\"materiality\":"
		"\"cosmetic\",\"categories\":[{\"id\":\"limitation_of_"
		"liability\","
		"\"in\":\"both\"}]},"
		"{\"kind\":\"added\",\"new_key\":\"12\",\"materiality\":"
		"\"substantive\",\"categories\":[]}],"
		"\"categories\":[\"class_action_waiver\",\"limitation_of_"
		"liability\","
		"\"mandatory_arbitration\"]}";
	/* analysed, but no changed provision has a category */
	const char *uncategorised = "{\"changes\":[{\"kind\":\"modified\","
				    "\"materiality\":"
				    "\"substantive\",\"categories\":[]}],"
				    "\"categories\":[]}";
	/* recorded without analysis (fetch, ingest, an analysis error) */
	const char *plain = "{\"changes\":[{\"kind\":\"modified\","
			    "\"materiality\":"
			    "\"substantive\"}],\"analysis\":{\"error\":\"x\"}}";

	(void)state;
	memset(&sub, 0, sizeof(sub));
	sub.min_materiality = (char *)"cosmetic";
	sub.services = (char *)"";
	sub.documents = (char *)"";
	/* the old side counts: a clause that disappears is news */
	sub.categories = (char *)"mandatory_arbitration";
	assert_true(matches(&sub, "P", "Terms of Service", "substantive",
			    annotated));
	/* a category no changed provision has */
	sub.categories = (char *)"training_on_user_data";
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     annotated));
	/* ORed among themselves */
	sub.categories = (char *)"training_on_user_data\nlimitation_of_"
				 "liability";
	assert_true(matches(&sub, "P", "Terms of Service", "substantive",
			    annotated));
	/* a prefix or part of an id is not the id */
	sub.categories = (char *)"arbitration";
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     annotated));
	/* per provision materiality: the liability clause only changed
	   cosmetically, so a substantive liability watch stays quiet even
	   though the document changed substantively elsewhere */
	sub.min_materiality = (char *)"substantive";
	sub.categories = (char *)"limitation_of_liability";
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     annotated));
	sub.categories = (char *)"mandatory_arbitration";
	assert_true(matches(&sub, "P", "Terms of Service", "substantive",
			    annotated));
	sub.min_materiality = (char *)"cosmetic";
	/* ANDed with services and documents */
	sub.services = (char *)"Other";
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     annotated));
	sub.services = (char *)"Other\nP";
	assert_true(matches(&sub, "P", "Terms of Service", "substantive",
			    annotated));
	sub.services = (char *)"";
	sub.documents = (char *)"P/Privacy Policy";
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     annotated));
	sub.documents = (char *)"";
	/* analysed without categories: decided, no match */
	assert_false(matches(&sub, "P", "Terms of Service", "substantive",
			     uncategorised));
	/* not analysed: undecidable, the alert goes out */
	assert_true(
		matches(&sub, "P", "Terms of Service", "substantive", plain));
	assert_true(
		matches(&sub, "P", "Terms of Service", "substantive", NULL));
	/* the document's own materiality still comes first */
	sub.min_materiality = (char *)"substantive";
	assert_false(
		matches(&sub, "P", "Terms of Service", "editorial", annotated));
	/* without categories the filter is off whatever the change says */
	sub.min_materiality = (char *)"cosmetic";
	sub.categories = (char *)"";
	assert_true(matches(&sub, "P", "Terms of Service", "substantive",
			    uncategorised));
}

/* ---- a store with a real change ---- */

struct fixture {
	struct cw_store *s;
	int64_t doc_id, change_id;
	char materiality[16];
	struct cw_buf json;	     /* the stored record */
	struct cw_change_record rec; /* what was stored */
};

static void load_version(struct cw_buf *out, const char *name)
{
	assert_int_equal(cw_test_read_version(out, "ChatGPT/Terms of Service",
					      name, 64u << 20),
			 CW_OK);
}

static int64_t record(struct cw_store *s, int64_t doc, const struct cw_buf *t,
		      struct cw_segmentation **seg, const char *at)
{
	struct cw_err err = CW_ERR_INIT;
	int64_t id = 0;

	assert_int_equal(cw_segment_text(seg, t->ptr, t->len, NULL, &err),
			 CW_OK);
	struct cw_store_version_in in = { t->ptr, t->len, *seg,	   0,
					  at,	  NULL,	  "ingest" };
	assert_int_equal(cw_store_record_version(s, doc, &in, &id, &err),
			 CW_OK);
	return id;
}

/*
 * Two versions and their change, recorded with the outbox rows in one
 * transaction (as pipeline.c does), committed or rolled back.
 */
static void make_change(struct fixture *f, bool commit)
{
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
	struct cw_segmentation *sa = NULL, *sb = NULL;
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;
	enum cw_diff_materiality top = CW_DIFF_COSMETIC;
	int64_t va, vb;
	size_t n = 0, changed = 0;

	load_version(&a, "2024-02-20.md");
	load_version(&b, "2024-06-10.md");
	assert_int_equal(cw_store_begin(f->s, &err), CW_OK);
	va = record(f->s, f->doc_id, &a, &sa, "2024-02-20T00:00:00Z");
	vb = record(f->s, f->doc_id, &b, &sb, "2024-06-10T00:00:00Z");
	struct cw_diff_version da = { a.ptr, a.len, sa },
			       db = { b.ptr, b.len, sb };
	assert_int_equal(cw_diff_compute(&d, &da, &db, NULL, NULL, &err),
			 CW_OK);
	for (size_t i = 0; i < d->n; i++) {
		const struct cw_diff_change *c = &d->changes[i];
		bool counted = c->kind != CW_DIFF_UNCHANGED;

		changed += counted;
		if (counted && c->materiality > top)
			top = c->materiality;
	}
	assert_true(changed > 0);
	/* the record as pipeline.c stores it */
	cw_buf_clear(&f->json);
	cw_change_record_release(&f->rec);
	assert_int_equal(cw_change_record_from_diff(&f->rec, d), CW_OK);
	cw_change_record_compact(&f->rec);
	assert_int_equal(cw_change_record_encode(&f->json, &f->rec, &err),
			 CW_OK);
	snprintf(f->materiality, sizeof(f->materiality), "%s",
		 cw_diff_materiality_name(top));
	struct cw_store_change_in c = {
		f->doc_id, va, vb, f->materiality, (int64_t)changed, f->json.ptr
	};
	assert_int_equal(cw_store_put_change(f->s, &c, &f->change_id, &err),
			 CW_OK);
	assert_int_equal(cw_notify_enqueue_change(f->s, f->doc_id, f->change_id,
						  f->materiality, &f->rec, &n,
						  &err),
			 CW_OK);
	if (commit)
		assert_int_equal(cw_store_commit(f->s, &err), CW_OK);
	else
		cw_store_rollback(f->s);
	cw_diff_free(d);
	cw_segment_free(sa);
	cw_segment_free(sb);
	cw_buf_release(&a);
	cw_buf_release(&b);
}

static void open_fixture(struct fixture *f)
{
	struct cw_err err = CW_ERR_INIT;

	memset(f, 0, sizeof(*f));
	assert_int_equal(cw_store_open(&f->s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_put_service(f->s, "ChatGPT", NULL, NULL, NULL,
					      &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(f->s, "ChatGPT",
					       "Terms of Service", NULL,
					       &f->doc_id, &err),
			 CW_OK);
}

static void close_fixture(struct fixture *f)
{
	cw_buf_release(&f->json);
	cw_change_record_release(&f->rec);
	cw_store_close(f->s);
}

static int64_t add_sub(struct cw_store *s, const char *channel,
		       const char *target, const char *cadence,
		       const char *services)
{
	struct cw_store_sub sub;
	struct cw_err err = CW_ERR_INIT;
	int64_t id = 0;

	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)channel;
	sub.target = (char *)target;
	sub.secret = (char *)(strcmp(channel, "webhook") ? NULL : "k");
	sub.cadence = (char *)cadence;
	sub.services = (char *)services;
	assert_int_equal(cw_store_sub_add(s, &sub, &id, &err), CW_OK);
	return id;
}

static void
test_notify__outbox_rows_live_and_die_with_their_change(void **state)
{
	struct fixture f;
	struct cw_store_outbox_counts oc;
	struct cw_store_outbox *rows = NULL;
	struct cw_err err = CW_ERR_INIT;
	size_t n = 0;

	(void)state;
	if (!have_corpus())
		skip();
	open_fixture(&f);
	add_sub(f.s, "feed", "legal", "immediate", "");
	add_sub(f.s, "feed", "other", "immediate", "Claude"); /* not ChatGPT */
	add_sub(f.s, "feed", "daily", "daily", "ChatGPT");
	/* rolled back: neither the change nor its alerts exist */
	make_change(&f, false);
	assert_int_equal(cw_store_outbox_count(f.s, &oc, &err), CW_OK);
	assert_int_equal(oc.pending + oc.held, 0);
	/* committed: one immediate row, one held for the digest */
	make_change(&f, true);
	assert_int_equal(cw_store_outbox_count(f.s, &oc, &err), CW_OK);
	assert_int_equal(oc.pending, 1);
	assert_int_equal(oc.held, 1);
	assert_int_equal(cw_store_outbox_list(f.s, "pending", "9999", 0, 0,
					      &rows, &n, &err),
			 CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].kind, "change");
	assert_int_equal(rows[0].change_id, f.change_id);
	/* the idempotency key is per (subscription, change) */
	char key[64];
	snprintf(key, sizeof(key), "cw-%lld-c%lld", (long long)rows[0].sub_id,
		 (long long)f.change_id);
	assert_string_equal(rows[0].idem_key, key);
	/* enqueueing the same change again adds nothing */
	assert_int_equal(cw_notify_enqueue_change(f.s, f.doc_id, f.change_id,
						  f.materiality, &f.rec, &n,
						  &err),
			 CW_OK);
	assert_int_equal(n, 0);
	cw_store_outbox_free(rows, 1);
	close_fixture(&f);
}

static void test_notify__renders_json_email_and_atom(void **state)
{
	struct fixture f;
	struct cw_store_outbox *rows = NULL;
	struct cw_buf json = CW_BUF_INIT, subj = CW_BUF_INIT,
		      text = CW_BUF_INIT, html = CW_BUF_INIT, msg = CW_BUF_INIT,
		      atom = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	json_t *j, *c;
	size_t n = 0, i;
	bool any_text = false;

	(void)state;
	if (!have_corpus())
		skip();
	open_fixture(&f);
	add_sub(f.s, "feed", "legal", "immediate", "");
	make_change(&f, true);
	assert_int_equal(cw_store_outbox_list(f.s, "pending", "9999", 0, 0,
					      &rows, &n, &err),
			 CW_OK);
	assert_int_equal(n, 1);
	/* JSON: the structured summary with the redline text put back */
	assert_int_equal(cw_notify_render_json(f.s, &rows[0], &json, &err),
			 CW_OK);
	j = json_loads(json.ptr, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "service")),
			    "ChatGPT");
	assert_string_equal(json_string_value(json_object_get(j, "materialit"
								 "y")),
			    f.materiality);
	assert_int_equal(json_integer_value(json_object_get(j, "to_version")),
			 2);
	json_array_foreach(json_object_get(j, "changes"), i, c)
	{
		json_t *r = json_array_get(json_object_get(c, "redline"), 0);
		if (r && json_string_value(json_object_get(r, "text")))
			any_text = true;
	}
	assert_true(any_text);
	json_decref(j);
	/* email: both parts, lines within SMTP's limit, no bare LF */
	assert_int_equal(cw_notify_render_text(f.s, &rows[0], &subj, &text,
					       &html, &err),
			 CW_OK);
	assert_non_null(strstr(subj.ptr, "ChatGPT / Terms of Service changed"));
	cw_notify_email_build(&msg, "cw@example.org", "a@example.org", subj.ptr,
			      rows[0].idem_key, text.ptr, html.ptr);
	assert_non_null(strstr(msg.ptr, "Content-Type: multipart/alternative"));
	assert_non_null(strstr(msg.ptr, "Content-Type: text/plain; "
					"charset=utf-8"));
	assert_non_null(strstr(msg.ptr, "Content-Type: text/html; "
					"charset=utf-8"));
	for (const char *p = msg.ptr, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		assert_true(nl > p && nl[-1] == '\r');
		if (nl - p > 78)
			print_message("long line: %.*s\n", (int)(nl - p), p);
		assert_true(nl - p <= 78);
	}
	/* Atom: one entry with the alert's id */
	assert_int_equal(cw_notify_feed_render(f.s, "legal", NULL, &atom, &err),
			 CW_OK);
	assert_non_null(strstr(atom.ptr, "<feed "
					 "xmlns=\"http://www.w3.org/2005/"
					 "Atom\">"));
	assert_non_null(strstr(atom.ptr, rows[0].idem_key));
	assert_null(strstr(strstr(atom.ptr, "<entry>") + 1, "<entry>"));
	assert_int_equal(cw_notify_feed_render(f.s, "nope", NULL, &atom, &err),
			 CW_ENOTFOUND);
	cw_store_outbox_free(rows, n);
	cw_buf_release(&json);
	cw_buf_release(&subj);
	cw_buf_release(&text);
	cw_buf_release(&html);
	cw_buf_release(&msg);
	cw_buf_release(&atom);
	close_fixture(&f);
}

/* A store with one change alert for a webhook on port 1 of loopback,
 * where nothing listens. */
static void refused_webhook_fixture(struct fixture *f)
{
	open_fixture(f);
	add_sub(f->s, "webhook", "http://127.0.0.1:1/hook", "immediate", "");
	make_change(f, true);
}

static void test_notify__failed_delivery_is_retried_then_given_up(void **state)
{
	struct fixture f;
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;
	struct cw_notify_stats st;
	struct cw_store_outbox *rows = NULL;
	struct cw_store_outbox_counts oc;
	struct cw_err err = CW_ERR_INIT;
	size_t n = 0;

	(void)state;
	if (!have_corpus())
		skip();
	refused_webhook_fixture(&f);
	o.allow_private = true;
	o.max_attempts = 2;
	o.timeout_ms = 2000;
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.retried, 1);
	assert_int_equal(st.sent, 0);
	assert_int_equal(cw_store_outbox_list(f.s, "pending", NULL, 0, 0, &rows,
					      &n, &err),
			 CW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].attempts, 1);
	assert_non_null(rows[0].last_error);
	/* not due again before its backoff: a second run sends nothing */
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.retried + st.sent + st.dead, 0);
	/* due now: the last attempt fails, the alert is given up */
	assert_int_equal(cw_store_outbox_update(f.s, rows[0].id, NULL, 1,
						"2000-01-01T00:00:00Z", NULL,
						&err),
			 CW_OK);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.dead, 1);
	assert_int_equal(cw_store_outbox_count(f.s, &oc, &err), CW_OK);
	assert_int_equal(oc.dead, 1);
	cw_store_outbox_free(rows, n);
	close_fixture(&f);
}

static void test_notify__backoff_is_at_least_a_second(void **state)
{
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;

	(void)state;
	/* a base of 1 s drew from [0, 1] in whole seconds: always 0 */
	o.backoff_s = 1;
	for (int i = 0; i < 200; i++)
		assert_int_equal(cw_notify_backoff(&o, 1), 1);
	for (int64_t n = 2; n <= 5; n++)
		for (int i = 0; i < 200; i++) {
			long d = cw_notify_backoff(&o, n);
			long top = 1L << (n - 1);

			assert_true(d >= top / 2 && d <= top);
		}
	/* the default: 15 to 30 s, then doubling up to the cap */
	o.backoff_s = 30;
	o.backoff_max_s = 100;
	for (int i = 0; i < 200; i++) {
		long d1 = cw_notify_backoff(&o, 1),
		     d9 = cw_notify_backoff(&o, 9);

		assert_true(d1 >= 15 && d1 <= 30);
		assert_true(d9 >= 50 && d9 <= 100);
	}
}

/* A row's attempts and next_try as stored. */
static void row_state(struct cw_store *s, int64_t *attempts, char *next,
		      size_t nlen)
{
	struct cw_store_outbox *rows = NULL;
	struct cw_err err = CW_ERR_INIT;
	size_t n = 0;

	assert_int_equal(cw_store_outbox_list(s, "pending", NULL, 0, 0, &rows,
					      &n, &err),
			 CW_OK);
	assert_int_equal(n, 1);
	*attempts = rows[0].attempts;
	snprintf(next, nlen, "%s", rows[0].next_try);
	cw_store_outbox_free(rows, n);
}

static void test_notify__backoff_of_one_second_is_applied(void **state)
{
	struct fixture f;
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;
	struct cw_notify_stats st;
	struct cw_err err = CW_ERR_INIT;
	char before[CW_TIME_ISO], next[CW_TIME_ISO];
	int64_t attempts = 0;

	(void)state;
	if (!have_corpus())
		skip();
	refused_webhook_fixture(&f);
	o.allow_private = true;
	o.backoff_s = 1;
	o.timeout_ms = 2000;
	cw_time_now_iso(before);
	memset(&st, 0, sizeof(st));
	/* one attempt: the retry is due a second later, not in this run
	 * (it was retried at once, in the same run, before) */
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.retried, 1);
	row_state(f.s, &attempts, next, sizeof(next));
	assert_int_equal(attempts, 1);
	assert_true(strcmp(next, before) > 0);
	/* due within two seconds: a run then tries again */
	usleep(2100 * 1000);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.retried, 1);
	row_state(f.s, &attempts, next, sizeof(next));
	assert_int_equal(attempts, 2);
	close_fixture(&f);
}

/*
 * A receiver that hangs: a socket that listens and never accepts. The
 * kernel completes the connection and takes the request into its buffer,
 * and no answer ever comes.
 */
static int hanging_receiver(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static volatile sig_atomic_t stop_flag;

static void *stop_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	stop_flag = 1;
	return NULL;
}

/*
 * Three alerts to a receiver that never answers, with a send timeout of
 * ten minutes: the run ends at its deadline, and what was on the wire
 * counts as a failed attempt; or it ends at the stop flag, and every row
 * is left as it was. (Were either ignored, the run would take ten
 * minutes and the test its time limit.)
 */
static void test_notify__deadline_and_stop_end_a_run(void **state)
{
	struct fixture f;
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;
	struct cw_notify_stats st;
	struct cw_store_outbox *rows = NULL;
	struct cw_err err = CW_ERR_INIT;
	char url[64];
	unsigned port = 0;
	pthread_t th;
	size_t n = 0;
	int fd;

	(void)state;
	if (!have_corpus())
		skip();
	fd = hanging_receiver(&port);
	open_fixture(&f);
	for (int i = 0; i < 3; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/h%d", port, i);
		add_sub(f.s, "webhook", url, "immediate", "");
	}
	make_change(&f, true);
	o.allow_private = true;
	o.timeout_ms = 600000;
	/* the stop flag: nothing is counted, the rows are as they were */
	o.deadline_s = 0;
	o.stop = &stop_flag;
	stop_flag = 0;
	assert_int_equal(pthread_create(&th, NULL, stop_later, NULL), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	pthread_join(th, NULL);
	assert_int_equal(st.left, 3);
	assert_int_equal(st.sent + st.retried + st.dead, 0);
	assert_int_equal(cw_store_outbox_list(f.s, "pending", NULL, 0, 0, &rows,
					      &n, &err),
			 CW_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].attempts, 0);
		assert_null(rows[i].last_error);
	}
	cw_store_outbox_free(rows, n);
	/* the deadline: the sends on the wire failed, to be retried */
	o.stop = NULL;
	o.deadline_s = 1;
	memset(&st, 0, sizeof(st));
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.retried, 3);
	assert_int_equal(st.left, 0);
	assert_int_equal(cw_store_outbox_list(f.s, "pending", NULL, 0, 0, &rows,
					      &n, &err),
			 CW_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].attempts, 1);
		assert_non_null(strstr(rows[i].last_error, "delivery "
							   "deadline"));
	}
	cw_store_outbox_free(rows, n);
	close(fd);
	close_fixture(&f);
}

static void test_notify__ssrf_guard_refuses_loopback_webhooks(void **state)
{
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;
	struct cw_err err = CW_ERR_INIT;
	long status = 0;

	(void)state;
	o.timeout_ms = 2000;
	assert_int_equal(cw_notify_webhook_post("http://127.0.0.1:1/x", "k",
						"cw-1-c1", "{}", 2, &o, &status,
						&err),
			 CW_EBLOCKED);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_int_equal(cw_notify_webhook_post("file:///etc/passwd", "k",
						"cw-1-c1", "{}", 2, &o, &status,
						&err),
			 CW_EINVAL);
}

static void test_notify__digest_groups_held_changes(void **state)
{
	struct fixture f;
	struct cw_notify_opts o = CW_NOTIFY_OPTS_INIT;
	struct cw_notify_stats st;
	struct cw_store_outbox_counts oc;
	struct cw_err err = CW_ERR_INIT;

	(void)state;
	if (!have_corpus())
		skip();
	open_fixture(&f);
	add_sub(f.s, "feed", "weekly", "weekly", "");
	make_change(&f, true);
	memset(&st, 0, sizeof(st));
	/* the period has not passed: held */
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.digests, 0);
	assert_int_equal(cw_store_outbox_count(f.s, &oc, &err), CW_OK);
	assert_int_equal(oc.held, 1);
	o.digest_now = true;
	assert_int_equal(cw_notify_deliver(f.s, &o, 0, &st, &err), CW_OK);
	assert_int_equal(st.digests, 1);
	assert_int_equal(cw_store_outbox_count(f.s, &oc, &err), CW_OK);
	assert_int_equal(oc.held, 0);
	assert_int_equal(oc.sent, 1);
	close_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify__signature_is_hmac_sha256),
		cmocka_unit_test(test_notify__subscription_matching),
		cmocka_unit_test(test_notify__category_filter),
		cmocka_unit_test_setup_teardown(
			test_notify__outbox_rows_live_and_die_with_their_change,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_notify__renders_json_email_and_atom, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_notify__failed_delivery_is_retried_then_given_up,
			setup, teardown),
		cmocka_unit_test(test_notify__backoff_is_at_least_a_second),
		cmocka_unit_test_setup_teardown(
			test_notify__backoff_of_one_second_is_applied, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_notify__deadline_and_stop_end_a_run, setup,
			teardown),
		cmocka_unit_test(
			test_notify__ssrf_guard_refuses_loopback_webhooks),
		cmocka_unit_test_setup_teardown(
			test_notify__digest_groups_held_changes, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
