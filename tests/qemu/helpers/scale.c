// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the scale benchmark (bench/qemu-scale.sh), static: make
 * IMA's log long quickly, and time what reads it, in nanoseconds of
 * CLOCK_MONOTONIC.
 *
 *   scale files N DIR        create, read and delete N new files in DIR (the
 *                            tcb policy measures each: N records; the log
 *                            keeps them, ramfs gives the pages back)
 *   scale read FILE          read FILE to its end with a 1 MiB buffer
 *   scale write FILE TEXT    write TEXT to FILE in one write()
 *   scale run CMD [ARG...]   run CMD (its stdout goes to stderr) and wait for it
 *   scale tsc                the CPU's time stamp counter, which a kexec does
 *                            not reset, and CLOCK_MONOTONIC, which it does
 *
 * Each prints one line of "key=value" words, ns= among them; a failure is a
 * message on stderr and exit 1 (run: CMD's exit status in rc=).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define BUF	(1024 * 1024)

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static int die(const char *what, const char *path)
{
	fprintf(stderr, "scale: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

static int files(unsigned long n, const char *dir)
{
	unsigned long long t0 = now_ns();
	char path[4096], text[64], buf[64];
	unsigned long i;

	for (i = 0; i < n; i++) {
		int fd, len;

		/* Distinct names and content: IMA measures each file anew. */
		snprintf(path, sizeof(path), "%s/%d-%lu", dir, (int)getpid(), i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return die("create", path);
		len = snprintf(text, sizeof(text), "imasnap scale file %d-%lu\n", (int)getpid(), i);
		if (write(fd, text, (size_t)len) != len || close(fd))
			return die("write", path);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0 || close(fd))
			return die("read", path);
		if (unlink(path))
			return die("unlink", path);
	}
	printf("files=%lu ns=%llu\n", n, now_ns() - t0);
	return 0;
}

static int readall(const char *path)
{
	unsigned long long t0 = now_ns(), bytes = 0, calls = 0;
	char *buf = malloc(BUF);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (!buf || fd < 0)
		return die("open", path);
	while ((r = read(fd, buf, BUF)) > 0) {
		bytes += (unsigned long long)r;
		calls++;
	}
	if (r < 0)
		return die("read", path);
	close(fd);
	free(buf);
	printf("bytes=%llu calls=%llu ns=%llu\n", bytes, calls, now_ns() - t0);
	return 0;
}

static int writeone(const char *path, const char *text)
{
	unsigned long long t0 = now_ns();
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return die("open", path);
	if (write(fd, text, len) != (ssize_t)len)
		return die("write", path);
	close(fd);
	printf("ns=%llu\n", now_ns() - t0);
	return 0;
}

static int run(char **argv)
{
	unsigned long long t0 = now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return die("fork", argv[0]);
	if (!pid) {
		/* Its output is not ours: stdout carries the one line of figures. */
		dup2(2, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return die("wait", argv[0]);
	printf("rc=%d ns=%llu\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128,
	       now_ns() - t0);
	return 0;
}

static int tsc(void)
{
	printf("tsc=%llu ns=%llu\n", (unsigned long long)__rdtsc(), now_ns());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "tsc"))
		return tsc();
	if (argc == 4 && !strcmp(argv[1], "files"))
		return files(strtoul(argv[2], NULL, 10), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return readall(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return writeone(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argv + 2);
	fprintf(stderr, "usage: scale files N DIR | read FILE | write FILE TEXT | run CMD [ARG...] | tsc\n");
	return 2;
}
