/*
 * truthprobe: the VM lab's truth reference, independent of every virtio device (issue 11).
 *
 *   truthprobe [-t SECONDS] [-r BURSTS_PER_S] [-k WRITES_PER_BURST] [-p PORT] [-b CLOCKBOUND_SHM]
 *
 * Each burst makes K writes back to back (default 4: the later ones run warm and give the narrowest brackets),
 * then reads the daemons' bounds once for all of them. CLOCK_REALTIME - CLOCK_MONOTONIC is read just before the burst
 * and after the bounds (each the narrowest of three tries, to within half its span): when it moved by more than a slew
 * can (500 ppm of that span plus 2 us plus both reads' uncertainty), the clock stepped in
 * between and a bracket taken before the step would be paired with a bound read after it (the lab's k2 run: 4 client
 * reads "outside" the interval at the start-up step), so the burst's lines get cb_state 5 and are not judged. Each write: read CLOCK_REALTIME (a), write one byte (the sequence number mod 256) to the data port of
 * QEMU's isa-parallel device (PORT, default 0x378), read CLOCK_REALTIME again (b). QEMU runs with
 * `-msg timestamp=on -trace parallel_ioport_write -D FILE`, so the host stamps the write with its own UTC
 * (microseconds) while the guest's vCPU is inside the write: the host's instant lies between a and b. The
 * guest clock's offset from the host is then in [a - H - 1 us, b - H] (deploy/vmlab/truth.py).
 *
 * After the bracket (outside it) the probe reads what the daemons publish, for coverage:
 *   adjtimex(modes 0): maxerror and esterror (us), status, the clock state;
 *   the ClockBound segment (protocol version 2, written here from the protocol text, not from virtsync's
 *   code): copy the 80 bytes between two reads of an even, unchanged generation, read CLOCK_REALTIME (c)
 *   and CLOCK_MONOTONIC_COARSE, widen the bound by max drift x (now - as-of); void past void-after.
 *
 * Output, one line per write (space separated):
 *   seq a_ns b_ns maxerror_us esterror_us timex_status timex_state c_ns cb_width_ns cb_status cb_state cb_bound_ns
 * cb_state: 0 ok, 1 no segment, 2 bad magic/version/size, 3 void (past void-after), 4 writer busy, 5 the clock
 * stepped inside the burst (not comparable).
 * cb_width_ns is the half width of the ClockBound interval at c (earliest = c - w, latest = c + w); cb_bound_ns
 * the bound as published (at as-of, before the reader's drift widening).
 *
 * Built static on the host; runs as root in the lab guest (ioperm needs CAP_SYS_RAWIO).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

static const unsigned char CB_MAGIC[8] = { 0x41, 0x4D, 0x5A, 0x4E, 0x43, 0x42, 0x02, 0x00 };

struct cb_view { int state; int status; int64_t width_ns; int64_t bound_ns; int64_t c_ns; };

static int64_t rd64(const unsigned char *p) { int64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static volatile unsigned char *cb_map;

static void cb_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return;
	/* A segment shorter than 80 bytes (a writer that has not sized it yet) would SIGBUS on access. */
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < 80) { close(fd); return; }
	void *p = mmap(NULL, 80, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED) cb_map = p;
}

static struct cb_view cb_read(const char *path)
{
	struct cb_view v = { 1, 0, 0, 0, 0 };
	struct timespec c, m;
	if (!cb_map) cb_open(path);
	if (!cb_map) { clock_gettime(CLOCK_REALTIME, &c); v.c_ns = ns(&c); return v; }
	unsigned char copy[80];
	v.state = 4;
	for (int attempt = 0; attempt < 1000; attempt++) {
		uint16_t g1 = *(volatile uint16_t *)(cb_map + 14);
		if (g1 & 1) continue;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (int i = 0; i < 80; i++) copy[i] = cb_map[i];
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (*(volatile uint16_t *)(cb_map + 14) != g1) continue;
		v.state = 0;
		break;
	}
	clock_gettime(CLOCK_REALTIME, &c);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &m);
	v.c_ns = ns(&c);
	if (v.state) return v;
	if (memcmp(copy, CB_MAGIC, 8) != 0 || rd32(copy + 8) != 80 || rd16(copy + 12) != 2) { v.state = 2; return v; }
	int64_t as_of = rd64(copy + 16) * 1000000000LL + rd64(copy + 24);
	int64_t void_after = rd64(copy + 32) * 1000000000LL + rd64(copy + 40);
	int64_t bound = rd64(copy + 48);
	uint32_t drift_ppb = rd32(copy + 64);
	int32_t status; memcpy(&status, copy + 68, 4);
	v.status = status;
	v.bound_ns = bound;
	int64_t now = ns(&m);
	if (now > void_after) { v.state = 3; return v; }
	int64_t age = now > as_of ? now - as_of : 0;
	/* bound + drift x age, rounded up */
	v.width_ns = bound + (int64_t)(((__int128)drift_ppb * age + 999999999) / 1000000000);
	return v;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC (ns), CLOCK_MONOTONIC at the read, and the read's uncertainty (half the span of the
 * two realtime reads around the monotonic one): a step of the clock moves the difference, a slew does not (both clocks
 * are slewed alike). A vCPU preempted between the reads widens the span, so the narrowest of three tries is kept. */
static int64_t realtime_minus_monotonic(int64_t *mono_ns, int64_t *unc_ns)
{
	int64_t best = 0, best_span = INT64_MAX;
	for (int i = 0; i < 3; i++) {
		struct timespec r1, m, r2;
		clock_gettime(CLOCK_REALTIME, &r1);
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r2);
		int64_t span = ns(&r2) - ns(&r1);
		if (span < best_span) {
			best_span = span;
			best = (ns(&r1) + ns(&r2)) / 2 - ns(&m);
			*mono_ns = ns(&m);
		}
	}
	*unc_ns = best_span > 0 ? (best_span + 1) / 2 : 0;
	return best;
}

/* Port writes are for the lab guest only (the same test as guestclock's). */
static int in_lab_guest(void)
{
	char cmdline[4096] = {0};
	int fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0) return 0;
	ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
	close(fd);
	if (n <= 0) return 0;
	return strstr(cmdline, "root=/dev/root") && strstr(cmdline, "rootfstype=9p") &&
	       strstr(cmdline, "vmlab/guest/init.sh") && access("/run/vmlab/guest.env", R_OK) == 0;
}

int main(int argc, char **argv)
{
	double seconds = 600, rate = 100;
	int burst = 4;
	unsigned port = 0x378;
	const char *cb_path = "/var/run/clockbound/shm0";
	int opt;
	while ((opt = getopt(argc, argv, "t:r:k:p:b:")) != -1) {
		switch (opt) {
		case 't': seconds = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'k': burst = atoi(optarg); break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': cb_path = optarg; break;
		default:
			fprintf(stderr, "usage: truthprobe [-t SECONDS] [-r BURSTS_PER_S] [-k WRITES_PER_BURST] [-p PORT] [-b CLOCKBOUND_SHM]\n");
			return 2;
		}
	}
	if (rate <= 0 || rate > 10000 || seconds <= 0 || burst < 1 || burst > 64) { fprintf(stderr, "truthprobe: bad -t/-r/-k\n"); return 2; }
	if (!in_lab_guest()) { fprintf(stderr, "truthprobe: refusing to write I/O ports outside the VM lab guest\n"); return 1; }
	if (ioperm(port, 1, 1) != 0) { fprintf(stderr, "truthprobe: ioperm(0x%x): %s\n", port, strerror(errno)); return 1; }
	static char buf[1 << 20];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);

	struct timespec start, next;
	clock_gettime(CLOCK_MONOTONIC, &start);
	next = start;
	int64_t period = (int64_t)(1e9 / rate), end = ns(&start) + (int64_t)(seconds * 1e9);
	uint32_t seq = 0;
	for (;;) {
		next.tv_nsec += period;
		while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
		if (ns(&next) > end) break;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);

		int64_t m0, m1, u0, u1;
		int64_t d0 = realtime_minus_monotonic(&m0, &u0);
		struct timespec a[64], b[64];
		for (int k = 0; k < burst; k++) {
			clock_gettime(CLOCK_REALTIME, &a[k]);
			outb((unsigned char)((seq + k) & 0xff), port);
			clock_gettime(CLOCK_REALTIME, &b[k]);
		}

		struct timex tx;
		memset(&tx, 0, sizeof tx);
		int state = adjtimex(&tx);
		struct cb_view cb = cb_read(cb_path);
		int64_t d1 = realtime_minus_monotonic(&m1, &u1);
		int64_t moved = d1 > d0 ? d1 - d0 : d0 - d1;
		/* A step inside the burst: no line of it can be paired with a page read on one side of the step. The two
		 * differences are each known to within their uncertainty (a preempted read is not a step). */
		if (moved > 2000 + u0 + u1 + (m1 - m0) / 2000)
			cb.state = 5;
		for (int k = 0; k < burst; k++, seq++)
			printf("%u %lld %lld %ld %ld %d %d %lld %lld %d %d %lld\n", seq, (long long)ns(&a[k]), (long long)ns(&b[k]),
				(long)tx.maxerror, (long)tx.esterror, tx.status, state, (long long)cb.c_ns, (long long)cb.width_ns,
				cb.status, cb.state, (long long)cb.bound_ns);
	}
	fflush(stdout);
	return 0;
}
