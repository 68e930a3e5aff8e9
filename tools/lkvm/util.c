// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static void vprint(const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "lkvm: %s\n", buf);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	exit(LKVM_EXIT_ERROR);
}

void *read_file(const char *path, size_t *size)
{
	struct stat st;
	char *buf = NULL;
	size_t done = 0;
	int fd;

	/* O_NONBLOCK: a FIFO named by mistake must not hang us in open(). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		pr_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", path);
		goto fail;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		pr_err("%s: out of memory reading %lld bytes", path,
		       (long long)st.st_size);
		goto fail;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			pr_err("cannot read %s: %s", path,
			       n ? strerror(errno) : "file shrank while reading");
			goto fail;
		}
		done += n;
	}
	close(fd);
	*size = done;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

bool parse_uint(const char *what, const char *s, u64 min, u64 max, u64 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		pr_err("%s %s is out of range (%llu..%llu)", what, s,
		       (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
bad:
	pr_err("%s: '%s' is not a number", what, s ? s : "");
	return false;
}
