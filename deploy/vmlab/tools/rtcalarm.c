/*
 * rtcalarm: sets an alarm on an RTC class device and waits for it to fire (VM lab guest tool).
 *
 *   rtcalarm DEV SECONDS [TIMEOUT_S]
 *
 * Reads the RTC time, sets the wake alarm SECONDS ahead (RTC_WKALM_SET, enabled), then waits for
 * the alarm interrupt with read() under a poll() timeout (default SECONDS + 10). Prints one JSON
 * line: the RTC time, the alarm time, whether it fired and after how long (CLOCK_MONOTONIC).
 * DEV is a path (/dev/rtc1) or "virtio": the first RTC whose device path goes through a virtio
 * device (the virtio_rtc driver's RTC class device, created only for a UTC_SMEARED clock).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/rtc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int find_virtio_rtc(char *path, size_t size)
{
	DIR *d = opendir("/sys/class/rtc");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "rtc", 3))
			continue;
		char link[300], target[PATH_MAX];
		snprintf(link, sizeof link, "/sys/class/rtc/%s/device", e->d_name);
		if (!realpath(link, target))
			continue;
		if (strstr(target, "/virtio")) {
			snprintf(path, size, "/dev/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rtcalarm DEV|virtio SECONDS [TIMEOUT_S]\n");
		return 2;
	}
	char path[300];
	if (!strcmp(argv[1], "virtio")) {
		if (find_virtio_rtc(path, sizeof path)) {
			printf("{\"error\":\"no RTC class device on a virtio device\"}\n");
			return 1;
		}
	} else
		snprintf(path, sizeof path, "%s", argv[1]);
	int seconds = atoi(argv[2]);
	int timeout_s = argc > 3 ? atoi(argv[3]) : seconds + 10;

	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("{\"device\":\"%s\",\"error\":\"open\",\"errno\":%d}\n", path, errno);
		return 1;
	}
	struct rtc_time now;
	memset(&now, 0, sizeof now);
	if (ioctl(fd, RTC_RD_TIME, &now)) {
		printf("{\"device\":\"%s\",\"error\":\"RTC_RD_TIME\",\"errno\":%d}\n", path, errno);
		return 1;
	}
	struct tm tm = {.tm_sec = now.tm_sec, .tm_min = now.tm_min, .tm_hour = now.tm_hour,
			.tm_mday = now.tm_mday, .tm_mon = now.tm_mon, .tm_year = now.tm_year};
	time_t rtc_now = timegm(&tm), alarm_at = rtc_now + seconds;
	struct tm a;
	gmtime_r(&alarm_at, &a);
	struct rtc_wkalrm alarm;
	memset(&alarm, 0, sizeof alarm);
	alarm.enabled = 1;
	alarm.time.tm_sec = a.tm_sec;
	alarm.time.tm_min = a.tm_min;
	alarm.time.tm_hour = a.tm_hour;
	alarm.time.tm_mday = a.tm_mday;
	alarm.time.tm_mon = a.tm_mon;
	alarm.time.tm_year = a.tm_year;
	alarm.time.tm_wday = -1;
	alarm.time.tm_yday = -1;
	alarm.time.tm_isdst = -1;
	double start = mono_s();
	if (ioctl(fd, RTC_WKALM_SET, &alarm)) {
		printf("{\"device\":\"%s\",\"rtc_time\":%lld,\"error\":\"RTC_WKALM_SET\",\"errno\":%d}\n", path,
		       (long long)rtc_now, errno);
		return 1;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int fired = 0;
	unsigned long data = 0;
	int r = poll(&p, 1, timeout_s * 1000);
	if (r > 0 && read(fd, &data, sizeof data) == (ssize_t)sizeof data && (data & RTC_AF))
		fired = 1;
	double elapsed = mono_s() - start;
	alarm.enabled = 0;
	ioctl(fd, RTC_WKALM_SET, &alarm);
	printf("{\"device\":\"%s\",\"rtc_time\":%lld,\"alarm_time\":%lld,\"fired\":%s,\"after_s\":%.3f,\"irq_data\":%lu}\n",
	       path, (long long)rtc_now, (long long)alarm_at, fired ? "true" : "false", elapsed, data);
	return fired ? 0 : 1;
}
