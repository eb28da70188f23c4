/*
 * token: the API tokens that allow writes (and reads of watches) over
 * the web (store.h). Only a token's SHA-256 is kept: the token itself is
 * shown once, when it is made.
 */
#include "stmt.h"

static const struct store_field token_fields[] = {
	STORE_FIELD(STR, struct cw_store_token, name),
	STORE_FIELD(STR, struct cw_store_token, created_at),
	STORE_FIELD(STR, struct cw_store_token, last_used_at),
};
static const struct store_map token_map =
	STORE_MAP(struct cw_store_token, token_fields);

void cw_store_tokens_free(struct cw_store_token *t, size_t n)
{
	store_map_free_array(&token_map, t, n);
}

int cw_store_token_add(struct cw_store *s, const char *name,
		       char token[CW_STORE_TOKEN_LEN], struct cw_err *err)
{
	unsigned char raw[32];
	char hash[CW_SHA256_HEX], now[CW_TIME_ISO];
	int64_t id;
	int rc;

	if (!name || !*name || strlen(name) > 64)
		return cw_err_set(err, CW_EINVAL,
				  "a token's name is 1 to 64 bytes");
	if (cw_random_bytes(raw, sizeof(raw)))
		return cw_err_set(err, CW_ERROR, "no random bytes for a token");
	memcpy(token, "cw_", 3);
	cw_hex_encode(token + 3, raw, sizeof(raw));
	cw_sha256_hex(token, strlen(token), hash);
	cw_time_now_iso(now);
	rc = store_query_id(s,
			    "INSERT INTO tokens (name, hash, created_at) "
			    "VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING "
			    "RETURNING id",
			    "adding a token",
			    STORE_PARAMS(STORE_TEXT(name), STORE_TEXT(hash),
					 STORE_TEXT(now)),
			    &id, err);
	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_EEXISTS, "a token named '%s' exists",
				name);
	return rc;
}

int cw_store_token_list(struct cw_store *s, struct cw_store_token **out,
			size_t *n, struct cw_err *err)
{
	return store_query_list(s,
				"SELECT name, created_at, last_used_at FROM "
				"tokens ORDER BY name",
				"listing tokens", STORE_NO_PARAMS, &token_map,
				NULL, NULL, (void **)out, n, err);
}

int cw_store_token_remove(struct cw_store *s, const char *name,
			  struct cw_err *err)
{
	int rc = store_query_run(s, "DELETE FROM tokens WHERE name = ?1",
				 "removing a token",
				 STORE_PARAMS(STORE_TEXT(name)), err);

	if (!rc && store_changes(s) == 0)
		rc = cw_err_set(err, CW_ENOTFOUND, "no token named '%s'", name);
	return rc;
}

int cw_store_token_check(struct cw_store *s, const char *token, bool *ok,
			 struct cw_err *err)
{
	char hash[CW_SHA256_HEX], now[CW_TIME_ISO];
	int rc;

	*ok = false;
	if (!token || strncmp(token, "cw_", 3) ||
	    strlen(token) != CW_STORE_TOKEN_LEN - 1)
		return CW_OK;
	cw_sha256_hex(token, strlen(token), hash);
	cw_time_now_iso(now);
	rc = store_query_run(s,
			     "UPDATE tokens SET last_used_at = ?2 WHERE "
			     "hash = ?1",
			     "checking a token",
			     STORE_PARAMS(STORE_TEXT(hash), STORE_TEXT(now)),
			     err);
	if (!rc)
		*ok = store_changes(s) > 0;
	return rc;
}
