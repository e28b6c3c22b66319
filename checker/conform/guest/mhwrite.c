/* memhp conform guest helper: one write(2) of a hex-encoded text to a file, and its exact result.
 *
 * Usage: mhwrite PATH HEX. Prints "ok N" (the count write(2) returned) or "err E" (errno, from
 * open(2) or write(2)), one line. Refuses to run unless /proc/cmdline carries the kit's marker
 * token (MEMHP_MARKER, compiled in), so it cannot touch the sysfs of a machine it was not built for.
 * Leaves out: partial-write loops (sysfs stores see one write of the whole text).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MEMHP_MARKER
#error "build with -DMEMHP_MARKER=\"memhp_conform=<token>\""
#endif

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	char cmdline[4096], buf[4096];
	size_t n = 0, i, len;
	ssize_t r;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	r = fd < 0 ? -1 : read(fd, cmdline, sizeof(cmdline) - 1);
	if (r <= 0) {
		fprintf(stderr, "mhwrite: cannot read /proc/cmdline\n");
		return 3;
	}
	cmdline[r] = 0;
	close(fd);
	if (!strstr(cmdline, MEMHP_MARKER)) {
		fprintf(stderr, "mhwrite: refusing: the kernel command line lacks the kit's marker\n");
		return 3;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: mhwrite PATH HEX\n");
		return 2;
	}
	len = strlen(argv[2]);
	if (len % 2 || len / 2 > sizeof(buf)) {
		fprintf(stderr, "mhwrite: bad hex text\n");
		return 2;
	}
	for (i = 0; i < len; i += 2) {
		int hi = hexval(argv[2][i]), lo = hexval(argv[2][i + 1]);

		if (hi < 0 || lo < 0) {
			fprintf(stderr, "mhwrite: bad hex text\n");
			return 2;
		}
		buf[n++] = (char)(hi * 16 + lo);
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("err %d\n", errno);
		return 0;
	}
	r = write(fd, buf, n);
	if (r < 0)
		printf("err %d\n", errno);
	else
		printf("ok %zd\n", r);
	close(fd);
	return 0;
}
