/*
 * The change commands over the store: diff, changes, timeline.
 * (diff-files, which needs no store, is in cmd_diff.c.)
 */
#include <getopt.h>
#include <jansson.h>

#include "cli.h"
#include "../diff/record.h"

/* ---- diff SERVICE/TYPE [FROM [TO]] ---- */

static int load_side(struct cw_store *s, int64_t version_id,
		     struct cw_buf *text, struct cw_segmentation **seg,
		     struct cw_err *err)
{
	int rc = cw_store_load_text(s, version_id, text, err);

	return rc ? rc : cw_store_load_provisions(s, version_id, seg, err);
}

int cw_cli_cmd_diff(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_version va, vb;
	struct cw_buf ta = CW_BUF_INIT, tb = CW_BUF_INIT, out = CW_BUF_INIT;
	struct cw_segmentation *sa = NULL, *sb = NULL;
	struct cw_diff_rules *rules = NULL;
	struct cw_diff *d = NULL;
	struct cw_diff_opts dopts = CW_DIFF_OPTS_INIT;
	const char *format = NULL, *from = "-1", *to = "0";
	char *version = NULL, *ref = NULL, *rdir = NULL;
	int c, rc;

	memset(&doc, 0, sizeof(doc));
	memset(&va, 0, sizeof(va));
	memset(&vb, 0, sizeof(vb));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			if (strcmp(format, "text") && strcmp(format, "md") &&
			    strcmp(format, "json"))
				return cw_cli_usage("diff",
						    "--format is text, md or json");
			break;
		case 'a':
			dopts.flags |= CW_DIFF_KEEP_UNCHANGED;
			break;
		default:
			return CW_EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > 3)
		return cw_cli_usage("diff", "needs SERVICE/TYPE [FROM [TO]]");
	if (argc - optind >= 2)
		from = argv[optind + 1];
	if (argc - optind == 3)
		to = argv[optind + 2];
	if (!format)
		format = cli->json ? "json" : "text";
	rc = cw_cli_find_doc(cli, argv[optind], "diff", &s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_view_resolve_version(s, doc.id, from, &va, &err);
	if (!rc)
		rc = cw_view_resolve_version(s, doc.id, to, &vb, &err);
	if (!rc)
		rc = load_side(s, va.id, &ta, &sa, &err);
	if (!rc)
		rc = load_side(s, vb.id, &tb, &sb, &err);
	if (!rc) {
		rdir = cw_asprintf("%s/diff", cw_cli_data_dir());
		rc = cw_diff_rules_load(&rules, rdir, &err);
	}
	if (!rc) {
		struct cw_diff_version a = { cw_buf_str(&ta), ta.len, sa };
		struct cw_diff_version b = { cw_buf_str(&tb), tb.len, sb };
		rc = cw_diff_compute(&d, &a, &b, rules, &dopts, &err);
	}
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (!strcmp(format, "json")) {
		json_t *j = cw_diff_to_json(d);
		json_object_set_new(j, "service", json_string(doc.service));
		json_object_set_new(j, "type", json_string(doc.type));
		json_object_set_new(j, "from",
				    cw_view_version_ref_json(va.seq,
							     va.recorded_at,
							     va.stated_date));
		json_object_set_new(j, "to",
				    cw_view_version_ref_json(vb.seq,
							     vb.recorded_at,
							     vb.stated_date));
		cw_cli_print_json_take(j);
	} else {
		printf("%s%s/%s: version %lld (%s) -> version %lld (%s)\n\n",
		       strcmp(format, "md") ? "" : "# ", doc.service, doc.type,
		       (long long)va.seq, va.recorded_at, (long long)vb.seq,
		       vb.recorded_at);
		if (!strcmp(format, "md"))
			cw_diff_to_markdown(&out, d);
		else
			cw_diff_to_text(&out, d);
		fwrite(cw_buf_str(&out), 1, out.len, stdout);
	}
	rc = CW_EXIT_OK;
done:
	cw_diff_free(d);
	cw_diff_rules_free(rules);
	cw_segment_free(sa);
	cw_segment_free(sb);
	cw_buf_release(&ta);
	cw_buf_release(&tb);
	cw_buf_release(&out);
	cw_store_version_release(&va);
	cw_store_version_release(&vb);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(rdir);
	free(ref);
	return rc;
}

/* ---- changes ---- */

/* The record of a stored change; an empty one when it does not decode
 * (a listing shows what it can rather than stopping). */
static void record_of(struct cw_change_record *r, const struct cw_store_change *c)
{
	if (cw_change_record_decode(r, c->json ? c->json : "{}",
				    c->json ? strlen(c->json) : 2, NULL))
		cw_change_record_init(r);
}

/* The summaries of a stored change, one per changed provision. */
static void print_summaries(const struct cw_change_record *r, const char *indent)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct cw_change_entry *e = &r->entries[i];
		if (e->summary)
			printf("%s[%s] %s\n", indent,
			       cw_diff_materiality_name(e->materiality), e->summary);
	}
}

/*
 * Set "from" and "to" of `o` to the version references of a change's two
 * sides, the shape diff gives them; a side the store no longer has keeps
 * its number only.
 */
static void set_sides(json_t *o, struct cw_store *s,
		      const struct cw_store_change *c)
{
	const int64_t seqs[2] = { c->from_seq, c->to_seq };
	static const char *const keys[2] = { "from", "to" };

	for (int k = 0; k < 2; k++) {
		struct cw_err err = CW_ERR_INIT;
		json_t *ref = NULL;

		if (cw_view_version_ref(&ref, s, c->doc_id, seqs[k], &err))
			ref = cw_view_version_ref_json(seqs[k], NULL, NULL);
		json_object_set_new(o, keys[k], ref);
	}
}

static json_t *change_json(struct cw_store *s, const struct cw_store_change *c)
{
	struct cw_change_record r;
	json_t *j, *o;

	record_of(&r, c);
	j = cw_change_record_to_json(&r, 0);
	cw_change_record_release(&r);
	o = json_pack("{sssssIsIsssssIsO}", "service", c->service, "type",
		      c->type, "from", (json_int_t)c->from_seq, "to",
		      (json_int_t)c->to_seq, "recorded_at", c->recorded_at,
		      "materiality", c->materiality, "provisions",
		      (json_int_t)c->n_changes, "changes",
		      json_object_get(j, "changes"));
	json_decref(j);
	set_sides(o, s, c);
	return o;
}

int cw_cli_cmd_changes(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "service", required_argument, NULL, 'S' },
		{ "material", no_argument, NULL, 'm' },
		{ "min-materiality", required_argument, NULL, 'M' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_store_change_query q;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_change *cs = NULL;
	char since[CW_TIME_ISO];
	size_t n = 0;
	int c, rc;

	memset(&q, 0, sizeof(q));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			time_t t;
			if (cw_time_parse_iso(optarg, &t))
				return cw_cli_usage("changes",
						    "bad --since '%s' (ISO date)",
						    optarg);
			cw_time_iso(t, since);
			q.since = since;
			break;
		}
		case 'S':
			q.service = optarg;
			break;
		case 'm':
			q.min_materiality = "substantive";
			break;
		case 'M':
			if (cw_diff_materiality_parse(optarg) < 0)
				return cw_cli_usage("changes",
						    "unknown materiality '%s'",
						    optarg);
			q.min_materiality = optarg;
			break;
		case 'l': {
			long v;
			if (cw_parse_long(optarg, 1, 1000000, &v))
				return cw_cli_usage("changes", "bad --limit");
			q.limit = v;
			break;
		}
		default:
			return CW_EXIT_USAGE;
		}
	}
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_list_changes(s, &q, &cs, &n, &err);
	if (rc) {
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	if (cli->json) {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(all, change_json(s, &cs[i]));
		json_t *root = json_pack("{so}", "changes", all);
		cw_cli_print_json_take(root);
	} else {
		for (size_t i = 0; i < n; i++) {
			struct cw_change_record r;

			record_of(&r, &cs[i]);
			printf("%s  %s/%s  v%lld -> v%lld  %s, %lld provision%s\n",
			       cs[i].recorded_at, cs[i].service, cs[i].type,
			       (long long)cs[i].from_seq, (long long)cs[i].to_seq,
			       cs[i].materiality, (long long)cs[i].n_changes,
			       cs[i].n_changes == 1 ? "" : "s");
			print_summaries(&r, "    ");
			cw_change_record_release(&r);
		}
		if (!n)
			printf("no changes recorded%s\n",
			       q.since || q.service || q.min_materiality ?
				       " matching the filters" : "");
	}
	cw_store_changes_free(cs, n);
	cw_store_close(s);
	return CW_EXIT_OK;
}

/* ---- timeline ---- */

/*
 * Follow one provision back through the changes of a document, newest
 * first: an entry whose new key is the provision's current key is an
 * event of that provision; a renumbering or move hands the walk over to
 * the old key; an addition ends it.
 */
static void provision_events(struct cw_store *s,
			     const struct cw_store_change *cs, size_t n,
			     const char *key, json_t *events)
{
	char *cur = cw_strdup(key);

	for (size_t i = n; i-- > 0;) {
		struct cw_change_record r;
		const struct cw_change_entry *e;
		bool ended = false;

		record_of(&r, &cs[i]);
		e = cw_change_record_find_new_key(&r, cur);
		if (e) {
			json_t *ev = json_pack("{sssIsIssso}", "recorded_at",
					       cs[i].recorded_at, "from",
					       (json_int_t)cs[i].from_seq, "to",
					       (json_int_t)cs[i].to_seq, "key",
					       cur, "change",
					       cw_change_entry_to_json(&r, e));
			set_sides(ev, s, &cs[i]);
			json_array_insert_new(events, 0, ev);
			if (e->kind == CW_DIFF_ADDED) {
				ended = true;
			} else if (e->old_key && strcmp(e->old_key, cur)) {
				free(cur);
				cur = cw_strdup(e->old_key);
			}
		}
		cw_change_record_release(&r);
		if (ended)
			break;
	}
	free(cur);
}

/* One line of `timeline --provision` from an event of provision_events. */
static void print_event(const json_t *e)
{
	json_t *ch = json_object_get(e, "change");
	json_t *from = json_object_get(e, "from"),
	       *to = json_object_get(e, "to");
	const char *sum = json_string_value(json_object_get(ch, "summary"));

	printf("%s  v%lld -> v%lld  %-10s %-11s %s\n",
	       json_string_value(json_object_get(e, "recorded_at")),
	       (long long)json_integer_value(json_object_get(from, "seq")),
	       (long long)json_integer_value(json_object_get(to, "seq")),
	       json_string_value(json_object_get(ch, "kind")),
	       json_string_value(json_object_get(ch, "materiality")),
	       sum ? sum : "");
}

int cw_cli_cmd_timeline(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provision", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_change *cs = NULL;
	struct cw_store_version *vs = NULL;
	size_t n = 0, nv = 0;
	const char *key = NULL;
	char *version = NULL, *ref = NULL;
	json_t *events = NULL;
	int c, rc;

	memset(&doc, 0, sizeof(doc));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p')
			return CW_EXIT_USAGE;
		key = optarg;
	}
	if (argc - optind != 1)
		return cw_cli_usage("timeline", "needs SERVICE/TYPE");
	rc = cw_cli_find_doc(cli, argv[optind], "timeline", &s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_store_list_versions(s, doc.id, &vs, &nv, &err);
	if (!rc) {
		struct cw_store_change_query q = { .doc_id = doc.id };
		rc = cw_store_list_changes(s, &q, &cs, &n, &err);
	}
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (key) {
		events = json_array();
		provision_events(s, cs, n, key, events);
		if (cli->json) {
			json_t *root = json_pack("{sssssss O}", "service",
						 doc.service, "type", doc.type,
						 "provision", key, "events", events);
			cw_cli_print_json_take(root);
		} else {
			size_t i;
			json_t *e;
			printf("%s/%s, provision %s: %zu change%s over %zu "
			       "versions\n", doc.service, doc.type, key,
			       json_array_size(events),
			       json_array_size(events) == 1 ? "" : "s", nv);
			json_array_foreach(events, i, e) {
				print_event(e);
			}
		}
		rc = CW_EXIT_OK;
		goto done;
	}
	if (cli->json) {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(all, change_json(s, &cs[i]));
		json_t *root = json_pack("{sssssIso}", "service", doc.service,
					 "type", doc.type, "versions",
					 (json_int_t)nv, "changes", all);
		cw_cli_print_json_take(root);
	} else {
		printf("%s/%s: %zu versions, %zu changes\n", doc.service,
		       doc.type, nv, n);
		if (nv)
			printf("%s  v1 first recorded\n", vs[0].recorded_at);
		for (size_t i = 0; i < n; i++) {
			struct cw_change_record r;

			record_of(&r, &cs[i]);
			printf("%s  v%lld  %s, %lld provision%s\n",
			       cs[i].recorded_at, (long long)cs[i].to_seq,
			       cs[i].materiality, (long long)cs[i].n_changes,
			       cs[i].n_changes == 1 ? "" : "s");
			print_summaries(&r, "    ");
			cw_change_record_release(&r);
		}
	}
	rc = CW_EXIT_OK;
done:
	json_decref(events);
	cw_store_changes_free(cs, n);
	cw_store_versions_free(vs, nv);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(ref);
	return rc;
}
