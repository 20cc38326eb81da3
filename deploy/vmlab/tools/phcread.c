/*
 * phcread: reads a PTP hardware clock (PHC) for the virtsync VM lab.
 *
 *   phcread read  DEV [-n SAMPLES] [-c CLOCK]        one PTP_SYS_OFFSET_EXTENDED2 call, every sample
 *   phcread caps  DEV                                GETCAPS2, and which read methods work (errno)
 *   phcread probe DEV [-t SECONDS] [-r CALLS_PER_S] [-n SAMPLES] [-c CLOCK] [-w FLOOR_WINDOW_NS]
 *                                                    reference probe: per-second aggregates
 *
 * DEV is a path (/dev/ptp0) or a clock name as in /sys/class/ptp/ptpN/clock_name
 * ("Virtio PTP type 0/variant 0"). CLOCK is the system clock the PHC is compared with:
 * realtime (default), monotonic or monotonic_raw (kernel 6.12+ for the last two).
 *
 * Sign convention everywhere: offset_ns = system clock - PHC, taken at the midpoint of the
 * two system timestamps that bracket the PHC reading (the system clock's error if the PHC is
 * the reference). delay_ns = the bracket width (system after - system before).
 *
 * Output is one JSON object per line. The probe makes many EXTENDED2 calls each second, keeps
 * the fastest sample (smallest delay) of each call, and prints for every second:
 *   calls, min_delay_ns and best_offset_ns (the fastest sample of the whole second),
 *   median_offset_ns and mean_offset_ns over the calls' fastest samples, iqr_ns (their spread),
 *   median_delay_ns, and floor_offset_ns: the mean offset of the calls whose fastest sample came
 *   within FLOOR_WINDOW_NS (default 2000) of the second's fastest (floor_calls of them).
 *   The probe's own noise follows from the spread of the per-call values and,
 *   with -c monotonic_raw (a clock nobody steers), from the residuals of a line through the
 *   per-second medians (computed by the lab's analysis on the host).
 *
 * Built static on the host (gcc -O2 -static) so it runs in any guest that sees the host's root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 25
#define CALLS_CAP 20000

struct phc_time {
	int64_t sec;
	uint32_t nsec;
	uint32_t reserved;
};

struct phc_caps {
	int max_adj, n_alarm, n_ext_ts, n_per_out, pps, n_pins, cross_timestamping, adjust_phase,
		max_phase_adj, rsv[11];
};

struct phc_offset_extended {
	uint32_t n_samples;
	int32_t clockid;
	uint32_t rsv[2];
	struct phc_time ts[MAX_SAMPLES][3];
};

struct phc_offset_precise {
	struct phc_time device, sys_realtime, sys_monoraw;
	uint32_t rsv[4];
};

#define IOC(dir, nr, size) (((unsigned long)(dir) << 30) | ((unsigned long)(size) << 16) | ('=' << 8) | (nr))
#define IOC_GETCAPS2 IOC(2, 10, sizeof(struct phc_caps))
#define IOC_PRECISE2 IOC(3, 17, sizeof(struct phc_offset_precise))
#define IOC_EXTENDED2 IOC(3, 18, sizeof(struct phc_offset_extended))

_Static_assert(sizeof(struct phc_caps) == 80, "ptp_clock_caps is 80 bytes");
_Static_assert(sizeof(struct phc_offset_extended) == 1216, "ptp_sys_offset_extended is 1216 bytes");
_Static_assert(sizeof(struct phc_offset_precise) == 64, "ptp_sys_offset_precise is 64 bytes");

struct sample {
	int64_t offset_ns;
	int64_t delay_ns;
};

static int64_t ns_of(const struct phc_time *t)
{
	return t->sec * 1000000000LL + t->nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: phcread read|caps|probe DEV [-n SAMPLES] [-c realtime|monotonic|monotonic_raw]"
			" [-t SECONDS] [-r CALLS_PER_SECOND]\n");
	exit(2);
}

static int clock_id_of(const char *name)
{
	if (!strcmp(name, "realtime"))
		return CLOCK_REALTIME;
	if (!strcmp(name, "monotonic"))
		return CLOCK_MONOTONIC;
	if (!strcmp(name, "monotonic_raw"))
		return CLOCK_MONOTONIC_RAW;
	fprintf(stderr, "phcread: unknown clock %s\n", name);
	exit(2);
}

static int read_clock_name(const char *ptp, char *name, size_t size)
{
	char path[300];
	snprintf(path, sizeof path, "/sys/class/ptp/%s/clock_name", ptp);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(name, (int)size, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	name[strcspn(name, "\n")] = 0;
	return 0;
}

/* Resolves DEV: a path is used as is; anything else is looked up by clock name. */
static int resolve_device(const char *dev, char *path, size_t size, char *name, size_t name_size)
{
	name[0] = 0;
	if (dev[0] == '/') {
		snprintf(path, size, "%s", dev);
		const char *base = strrchr(dev, '/') + 1;
		read_clock_name(base, name, name_size);
		return 0;
	}
	DIR *d = opendir("/sys/class/ptp");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char n[256];
		if (e->d_name[0] == '.' || read_clock_name(e->d_name, n, sizeof n))
			continue;
		if (!strcmp(n, dev)) {
			snprintf(path, size, "/dev/%s", e->d_name);
			snprintf(name, name_size, "%s", n);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int extended(int fd, int clockid, unsigned n, struct sample *out)
{
	struct phc_offset_extended req;
	memset(&req, 0, sizeof req);
	req.n_samples = n;
	req.clockid = clockid;
	if (ioctl(fd, IOC_EXTENDED2, &req))
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		int64_t before = ns_of(&req.ts[i][0]), phc = ns_of(&req.ts[i][1]), after = ns_of(&req.ts[i][2]);
		out[i].delay_ns = after - before;
		/* before + delay/2 keeps the sum from overflowing */
		out[i].offset_ns = before + (after - before) / 2 - phc;
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t quantile(int64_t *sorted, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;
	if (i + 1 >= n)
		return sorted[n - 1];
	double f = pos - i;
	return sorted[i] + (int64_t)(f * (double)(sorted[i + 1] - sorted[i]));
}

static int64_t now_mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmd_read(int fd, const char *path, const char *name, int clockid, unsigned n)
{
	struct sample s[MAX_SAMPLES];
	int r = extended(fd, clockid, n, s);
	printf("{\"device\":");
	json_string(path);
	printf(",\"clock_name\":");
	json_string(name);
	if (r) {
		printf(",\"error\":\"EXTENDED2\",\"errno\":%d,\"message\":", -r);
		json_string(strerror(-r));
		printf("}\n");
		return 1;
	}
	printf(",\"clockid\":%d,\"samples\":[", clockid);
	for (unsigned i = 0; i < n; i++)
		printf("%s{\"offset_ns\":%lld,\"delay_ns\":%lld}", i ? "," : "", (long long)s[i].offset_ns,
		       (long long)s[i].delay_ns);
	printf("]}\n");
	return 0;
}

static int cmd_caps(int fd, const char *path, const char *name)
{
	struct phc_caps caps;
	memset(&caps, 0, sizeof caps);
	int caps_errno = ioctl(fd, IOC_GETCAPS2, &caps) ? errno : 0;
	struct phc_offset_precise precise;
	memset(&precise, 0, sizeof precise);
	int precise_errno = ioctl(fd, IOC_PRECISE2, &precise) ? errno : 0;
	struct sample s[1];
	int extended_errno = -extended(fd, CLOCK_REALTIME, 1, s);
	struct timespec t;
	clockid_t dyn = (clockid_t)((~(unsigned)fd << 3) | 3);
	int gettime_errno = clock_gettime(dyn, &t) ? errno : 0;

	printf("{\"device\":");
	json_string(path);
	printf(",\"clock_name\":");
	json_string(name);
	printf(",\"getcaps_errno\":%d,\"max_adj\":%d,\"n_alarm\":%d,\"pps\":%d,\"cross_timestamping\":%d"
	       ",\"precise2_errno\":%d,\"extended2_errno\":%d,\"clock_gettime_errno\":%d}\n",
	       caps_errno, caps.max_adj, caps.n_alarm, caps.pps, caps.cross_timestamping, precise_errno,
	       extended_errno, gettime_errno);
	return extended_errno ? 1 : 0;
}

static int cmd_probe(int fd, const char *path, const char *name, int clockid, unsigned n, int seconds,
		     int rate, int64_t floor_window_ns)
{
	static int64_t offsets[CALLS_CAP], delays[CALLS_CAP];
	struct sample s[MAX_SAMPLES];
	int64_t interval_ns = 1000000000LL / rate;
	int64_t start = now_mono_ns();
	int failures = 0;

	printf("{\"probe\":");
	json_string(path);
	printf(",\"clock_name\":");
	json_string(name);
	printf(",\"clockid\":%d,\"samples_per_call\":%u,\"calls_per_second\":%d,\"floor_window_ns\":%lld}\n",
	       clockid, n, rate, (long long)floor_window_ns);
	fflush(stdout);

	for (int sec = 0; sec < seconds; sec++) {
		int64_t sec_end = start + (int64_t)(sec + 1) * 1000000000LL;
		int64_t next = start + (int64_t)sec * 1000000000LL;
		int calls = 0;
		int64_t best_delay = INT64_MAX, best_offset = 0;
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		while (next < sec_end && calls < CALLS_CAP) {
			int64_t now = now_mono_ns();
			if (now < next) {
				struct timespec d = {0, next - now};
				nanosleep(&d, NULL);
			}
			next += interval_ns;
			int r = extended(fd, clockid, n, s);
			if (r) {
				if (++failures <= 5) {
					printf("{\"error\":\"EXTENDED2\",\"errno\":%d}\n", -r);
					fflush(stdout);
				}
				continue;
			}
			unsigned k = 0;
			for (unsigned i = 1; i < n; i++)
				if (s[i].delay_ns < s[k].delay_ns)
					k = i;
			offsets[calls] = s[k].offset_ns;
			delays[calls] = s[k].delay_ns;
			if (s[k].delay_ns < best_delay) {
				best_delay = s[k].delay_ns;
				best_offset = s[k].offset_ns;
			}
			calls++;
		}
		if (!calls)
			continue;
		/* The floor: calls whose fastest sample came within floor_window_ns of the second's
		 * fastest. Under TCG the offset grows with the delay (the device answers late when the
		 * host is busy), so these calls carry the least asymmetry. */
		double floor_sum = 0;
		int floor_calls = 0;
		for (int i = 0; i < calls; i++)
			if (delays[i] <= best_delay + floor_window_ns) {
				floor_sum += (double)(offsets[i] - best_offset);
				floor_calls++;
			}
		long long floor_offset = (long long)best_offset + llround(floor_sum / floor_calls);
		/* Offsets against CLOCK_MONOTONIC_RAW are near -1.8e18 ns: average the differences from
		 * the first one, a double holds those exactly. */
		double sum = 0;
		for (int i = 0; i < calls; i++)
			sum += (double)(offsets[i] - offsets[0]);
		long long mean = (long long)offsets[0] + llround(sum / calls);
		qsort(offsets, calls, sizeof offsets[0], cmp_i64);
		qsort(delays, calls, sizeof delays[0], cmp_i64);
		printf("{\"t\":%d,\"wall\":%lld.%03ld,\"calls\":%d,\"min_delay_ns\":%lld,\"best_offset_ns\":%lld"
		       ",\"median_offset_ns\":%lld,\"mean_offset_ns\":%lld,\"iqr_ns\":%lld,\"median_delay_ns\":%lld"
		       ",\"floor_offset_ns\":%lld,\"floor_calls\":%d}\n",
		       sec, (long long)wall.tv_sec, wall.tv_nsec / 1000000, calls, (long long)best_delay,
		       (long long)best_offset, (long long)quantile(offsets, calls, 0.5), mean,
		       (long long)(quantile(offsets, calls, 0.75) - quantile(offsets, calls, 0.25)),
		       (long long)quantile(delays, calls, 0.5), floor_offset, floor_calls);
		fflush(stdout);
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *cmd = argv[1], *dev = argv[2];
	unsigned n = MAX_SAMPLES;
	int clockid = CLOCK_REALTIME, seconds = 10, rate = 50, n_given = 0;
	long long floor_window_ns = 2000;
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-n")) {
			n = (unsigned)atoi(argv[++i]);
			n_given = 1;
		} else if (!strcmp(argv[i], "-c"))
			clockid = clock_id_of(argv[++i]);
		else if (!strcmp(argv[i], "-t"))
			seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r"))
			rate = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-w"))
			floor_window_ns = atoll(argv[++i]);
		else
			usage();
	}
	if (!strcmp(cmd, "probe") && !n_given)
		n = 5;
	if (n < 1 || n > MAX_SAMPLES || seconds < 1 || rate < 1 || rate > 10000) {
		fprintf(stderr, "phcread: -n must be 1..25, -t >= 1, -r 1..10000\n");
		return 2;
	}
	char path[300], name[256];
	if (resolve_device(dev, path, sizeof path, name, sizeof name)) {
		fprintf(stderr, "phcread: no PTP clock named \"%s\"\n", dev);
		return 2;
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "phcread: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!strcmp(cmd, "read"))
		return cmd_read(fd, path, name, clockid, n);
	if (!strcmp(cmd, "caps"))
		return cmd_caps(fd, path, name);
	if (!strcmp(cmd, "probe"))
		return cmd_probe(fd, path, name, clockid, n, seconds, rate, floor_window_ns);
	usage();
}
