/*
 * category: the classifier's nine categories by their CLAUDETTE codes, and
 * the names of its severities (see classify.h). Which category of our
 * taxonomy a code stands for is the taxonomy's knowledge, not ours
 * (cw_taxonomy_claudette_id() in src/analyze/taxonomy.h).
 */
#include "classify_int.h"

static const char *const cat_codes[CW_CLASSIFY_NCAT] = {
	"a", "ch", "cr", "j", "law", "ltd", "ter", "use", "pinc",
};

const char *cw_classify_cat_code(int cat)
{
	return cat >= 0 && cat < CW_CLASSIFY_NCAT ? cat_codes[cat] : NULL;
}

int cw_classify_cat_from_code(const char *code)
{
	if (!code)
		return -1;
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++)
		if (!strcmp(code, cat_codes[c]))
			return c;
	return -1;
}

const char *cw_classify_severity_name(int sev)
{
	switch (sev) {
	case CW_CLASSIFY_SEV_CLEARLY_FAIR:
		return "clearly_fair";
	case CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR:
		return "potentially_unfair";
	case CW_CLASSIFY_SEV_CLEARLY_UNFAIR:
		return "clearly_unfair";
	default:
		return "none";
	}
}
