// SPDX-License-Identifier: GPL-2.0
/*
 * Guest profile: how many guest instructions ran in the block that starts at
 * each linear address.  TCG_PROFILE=FILE switches it on for every VM the
 * process creates; each vCPU appends "vcpu address count" lines to FILE when
 * it is destroyed or, for a VMM that exits without destroying its VM (lkvm),
 * when the process exits; scripts/guest-profile turns them into functions.
 *
 * The file is opened when the VM is created, because lkvm enters its
 * seccomp sandbox afterwards and then opens nothing.  The counts come from
 * the run loop, once per executed block: a block left by an exception is
 * not counted, which loses a few instructions per fault.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "cpu.h"
#include "profile.h"

#define PROF_BITS	20
#define PROF_SIZE	(1u << PROF_BITS)
/* Probe this far before giving up on a full table. */
#define PROF_PROBES	64
#define PROF_BUF	65536

struct prof_entry {
	uint64_t lin;
	uint64_t count;
};

struct prof_table {
	struct prof_entry e[PROF_SIZE];
	uint64_t dropped;		/* instructions of blocks that found no slot */
	unsigned int vcpu;
	struct prof_table *next;	/* tables not written yet */
};

bool profile_enabled;
static int profile_fd = -1;
static pthread_mutex_t profile_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof_table *live;

static void write_table(struct prof_table *t);

/* At exit the vCPU threads have stopped (lkvm joins them first). */
static void write_live_tables(void)
{
	pthread_mutex_lock(&profile_lock);
	while (live) {
		struct prof_table *t = live;

		live = t->next;
		write_table(t);
		free(t);
	}
	pthread_mutex_unlock(&profile_lock);
}

void profile_vm_init(void)
{
	const char *path = getenv("TCG_PROFILE");

	pthread_mutex_lock(&profile_lock);
	if (path && *path && profile_fd < 0) {
		profile_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (profile_fd < 0)
			perror(path);
		profile_enabled = profile_fd >= 0;
		if (profile_enabled)
			atexit(write_live_tables);
	}
	pthread_mutex_unlock(&profile_lock);
}

static struct prof_table *table_of(struct tcg_vcpu *c)
{
	struct prof_table *t = c->prof;

	if (likely(t))
		return t;
	t = calloc(1, sizeof(*t));
	if (!t) {
		profile_enabled = false;
		return NULL;
	}
	t->vcpu = c->id;
	pthread_mutex_lock(&profile_lock);
	t->next = live;
	live = t;
	pthread_mutex_unlock(&profile_lock);
	c->prof = t;
	return t;
}

void profile_block(struct tcg_vcpu *c, uint64_t lin, uint64_t n)
{
	struct prof_table *t = table_of(c);
	uint32_t h, k;

	if (!t)
		return;
	h = (uint32_t)((lin * 0x9e3779b97f4a7c15ull) >> (64 - PROF_BITS));
	for (k = 0; k < PROF_PROBES; k++) {
		struct prof_entry *e = &t->e[(h + k) & (PROF_SIZE - 1)];

		if (e->count && e->lin != lin)
			continue;
		e->lin = lin;
		e->count += n;
		return;
	}
	t->dropped += n;
}

/* Plain write(2) of a buffer: the sandbox allows it, stdio's dup/fstat
 * need not be. */
static void put_line(char *buf, size_t *len, const char *line, int n)
{
	if (*len + n > PROF_BUF) {
		if (write(profile_fd, buf, *len) < 0)
			perror("TCG_PROFILE");
		*len = 0;
	}
	memcpy(buf + *len, line, n);
	*len += n;
}

/* Called with profile_lock held. */
static void write_table(struct prof_table *t)
{
	char buf[PROF_BUF], line[64];
	size_t len = 0;
	uint32_t k;

	for (k = 0; k < PROF_SIZE; k++)
		if (t->e[k].count)
			put_line(buf, &len, line,
				 snprintf(line, sizeof(line), "%u %#llx %llu\n", t->vcpu,
					  (unsigned long long)t->e[k].lin,
					  (unsigned long long)t->e[k].count));
	if (t->dropped)
		put_line(buf, &len, line,
			 snprintf(line, sizeof(line), "%u dropped %llu\n", t->vcpu,
				  (unsigned long long)t->dropped));
	if (len && write(profile_fd, buf, len) < 0)
		perror("TCG_PROFILE");
}

void profile_vcpu_done(struct tcg_vcpu *c)
{
	struct prof_table *t = c->prof, **pp;

	if (!t)
		return;
	c->prof = NULL;
	pthread_mutex_lock(&profile_lock);
	for (pp = &live; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	write_table(t);
	pthread_mutex_unlock(&profile_lock);
	free(t);
}
