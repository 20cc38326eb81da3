/*
 * guestclock: reads and changes the system clock of the VM lab GUEST.
 *
 *   guestclock show                 clock_adjtime(CLOCK_REALTIME) with modes 0 (read-only), as JSON
 *   guestclock step SECONDS         step CLOCK_REALTIME by SECONDS (ADJ_SETOFFSET, atomic in the kernel)
 *   guestclock match DEV            step CLOCK_REALTIME onto the PHC DEV (fastest of 25 EXTENDED2 samples)
 *   guestclock freq PPM             set the kernel frequency offset (ADJ_FREQUENCY) to PPM
 *   guestclock reset                frequency 0, PLL off, STA_UNSYNC set (a clean, free-running clock)
 *
 * Every mode but `show` changes a clock, so it refuses to run outside the lab guest: it requires
 * the lab's kernel command line (9p root with mount tag /dev/root) and the lab's run folder.
 * Never run it on a host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

struct phc_time {
	int64_t sec;
	uint32_t nsec;
	uint32_t reserved;
};

struct phc_offset_extended {
	uint32_t n_samples;
	int32_t clockid;
	uint32_t rsv[2];
	struct phc_time ts[25][3];
};

#define IOC_EXTENDED2 ((3UL << 30) | ((unsigned long)sizeof(struct phc_offset_extended) << 16) | ('=' << 8) | 18)

static int in_lab_guest(void)
{
	char cmdline[4096] = {0};
	int fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
	close(fd);
	if (n <= 0)
		return 0;
	return strstr(cmdline, "root=/dev/root") && strstr(cmdline, "rootfstype=9p") &&
	       strstr(cmdline, "vmlab/guest/init.sh") && access("/run/vmlab/guest.env", R_OK) == 0;
}

static int show(void)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	int state = clock_adjtime(CLOCK_REALTIME, &tx);
	if (state < 0) {
		perror("clock_adjtime");
		return 1;
	}
	printf("{\"state\":%d,\"status\":%d,\"freq_ppm\":%.6f,\"offset\":%ld,\"maxerror_us\":%ld,"
	       "\"esterror_us\":%ld,\"constant\":%ld,\"tick\":%ld,\"tai\":%d,\"time\":%ld.%09ld}\n",
	       state, tx.status, tx.freq / 65536.0, tx.offset, tx.maxerror, tx.esterror, tx.constant, tx.tick,
	       tx.tai, (long)tx.time.tv_sec, (long)(tx.status & STA_NANO ? tx.time.tv_usec : tx.time.tv_usec * 1000));
	return 0;
}

static int step_ns(int64_t delta)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	int64_t sec = delta / 1000000000LL, nsec = delta % 1000000000LL;
	if (nsec < 0) {
		nsec += 1000000000LL;
		sec -= 1;
	}
	tx.time.tv_sec = sec;
	tx.time.tv_usec = nsec; /* nanoseconds with ADJ_NANO */
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0) {
		perror("clock_adjtime(ADJ_SETOFFSET)");
		return 1;
	}
	printf("{\"stepped_ns\":%lld}\n", (long long)delta);
	return 0;
}

static int match(const char *dev)
{
	int fd = open(dev, O_RDONLY);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	struct phc_offset_extended req;
	memset(&req, 0, sizeof req);
	req.n_samples = 25;
	if (ioctl(fd, IOC_EXTENDED2, &req)) {
		perror("PTP_SYS_OFFSET_EXTENDED2");
		return 1;
	}
	/* Step by phc - sys of the fastest sample, measured right before the step, in one process. */
	int64_t best_delay = INT64_MAX, best = 0;
	for (unsigned i = 0; i < req.n_samples; i++) {
		int64_t before = req.ts[i][0].sec * 1000000000LL + req.ts[i][0].nsec;
		int64_t phc = req.ts[i][1].sec * 1000000000LL + req.ts[i][1].nsec;
		int64_t after = req.ts[i][2].sec * 1000000000LL + req.ts[i][2].nsec;
		if (after - before < best_delay) {
			best_delay = after - before;
			best = phc - (before + (after - before) / 2);
		}
	}
	close(fd);
	return step_ns(best);
}

static int set_freq(double ppm)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_FREQUENCY;
	tx.freq = (long)(ppm * 65536.0);
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0) {
		perror("clock_adjtime(ADJ_FREQUENCY)");
		return 1;
	}
	return show();
}

static int reset(void)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_FREQUENCY | ADJ_STATUS | ADJ_OFFSET | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = STA_UNSYNC;
	tx.maxerror = 16000000;
	tx.esterror = 16000000;
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0) {
		perror("clock_adjtime(reset)");
		return 1;
	}
	return show();
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: guestclock show | step SECONDS | match DEV | freq PPM | reset\n");
		return 2;
	}
	if (!strcmp(argv[1], "show"))
		return show();
	if (!in_lab_guest()) {
		fprintf(stderr, "guestclock: refusing to change a clock outside the VM lab guest\n");
		return 3;
	}
	if (!strcmp(argv[1], "step") && argc == 3)
		return step_ns((int64_t)(strtod(argv[2], NULL) * 1e9));
	if (!strcmp(argv[1], "match") && argc == 3)
		return match(argv[2]);
	if (!strcmp(argv[1], "freq") && argc == 3)
		return set_freq(strtod(argv[2], NULL));
	if (!strcmp(argv[1], "reset"))
		return reset();
	fprintf(stderr, "guestclock: bad arguments\n");
	return 2;
}
