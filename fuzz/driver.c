/*
 * Replay driver for the libFuzzer harnesses under gcc: runs
 * LLVMFuzzerTestOneInput on every file named on the command line, or in
 * the directories named, so the seed corpus runs in every test build
 * (and under ASan/UBSan in CI).
 */
#include <dirent.h>
#include <sys/stat.h>

#include "../src/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	if (cw_file_read(&b, path, 64u << 20, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)cw_buf_str(&b), b.len);
	cw_buf_release(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "'%s': not found\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names = NULL;
			int n = scandir(argv[i], &names, NULL, alphasort);
			for (int k = 0; k < n; k++) {
				if (names[k]->d_name[0] != '.') {
					char *p = cw_asprintf("%s/%s", argv[i],
							      names[k]->d_name);
					if (run_file(p))
						return 1;
					free(p);
					runs++;
				}
				free(names[k]);
			}
			free(names);
		} else {
			if (run_file(argv[i]))
				return 1;
			runs++;
		}
	}
	/* an empty input is always part of the replay */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	printf("replayed %d inputs\n", runs + 1);
	return 0;
}
