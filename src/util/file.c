#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int cw_file_read(struct cw_buf *out, const char *path, size_t max,
		 struct cw_err *err)
{
	int fd, rc = CW_OK;
	struct stat st;
	char chunk[65536];
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return cw_err_set(err, CW_ENOTFOUND,
					  "'%s': no such file", path);
		return cw_err_set(err, CW_EIO, "'%s': %s", path,
				  strerror(errno));
	}
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			rc = cw_err_set(err, CW_EINVAL, "'%s': is a directory",
					path);
			goto close_fd;
		}
		if (max && (uint64_t)st.st_size > max) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': %lld bytes, over the %zu byte "
					"limit",
					path, (long long)st.st_size, max);
			goto close_fd;
		}
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = cw_err_set(err, CW_EIO, "'%s': %s", path,
					strerror(errno));
			goto close_fd;
		}
		if (n == 0)
			break;
		/* a file may grow while we read it (or be a pipe) */
		if (max && out->len + (size_t)n > max) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': over the %zu byte limit", path,
					max);
			goto close_fd;
		}
		if (cw_buf_add(out, chunk, (size_t)n)) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': over the buffer limit", path);
			goto close_fd;
		}
	}
close_fd:
	close(fd);
	return rc;
}

/* Write data to a new temporary file `tmp` with `mode`, fsynced. */
static int write_temp(const char *tmp, const void *data, size_t len,
		      mode_t mode, struct cw_err *err)
{
	const char *p = data;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return cw_err_set(err, CW_EIO, "'%s': %s", tmp,
				  strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cw_err_set(err, CW_EIO, "'%s': %s", tmp,
				   strerror(errno));
			close(fd);
			unlink(tmp);
			return CW_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		cw_err_set(err, CW_EIO, "'%s': %s", tmp, strerror(errno));
		unlink(tmp);
		return CW_EIO;
	}
	return CW_OK;
}

int cw_file_write_atomic(const char *path, const void *data, size_t len,
			 struct cw_err *err)
{
	char *tmp = cw_asprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = write_temp(tmp, data, len, 0644, err);

	if (!rc && rename(tmp, path) != 0) {
		rc = cw_err_set(err, CW_EIO, "'%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int cw_file_write_new(const char *path, const void *data, size_t len,
		      unsigned mode, struct cw_err *err)
{
	char *tmp = cw_asprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = write_temp(tmp, data, len, (mode_t)mode, err);

	/* link() never replaces: the file appears whole, once */
	if (!rc && link(tmp, path) != 0)
		rc = cw_err_set(err, errno == EEXIST ? CW_EEXISTS : CW_EIO,
				"'%s': %s", path, strerror(errno));
	unlink(tmp); /* the link, or nothing, remains */
	free(tmp);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cw_remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int cw_mkdir_p(const char *path, struct cw_err *err)
{
	char *p = cw_strdup(path);
	int rc = CW_OK;

	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				rc = cw_err_set(err, CW_EIO, "'%s': %s", p,
						strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

bool cw_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool cw_dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
