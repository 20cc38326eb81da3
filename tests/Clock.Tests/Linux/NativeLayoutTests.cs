using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sync.Clock.Linux.Interop;
using Sync.Clock.Linux.VmClock;

namespace Sync.Clock.Tests.Linux;

/// <summary>
/// Compiles a C program against the system's linux/ptp_clock.h and sys/timex.h and compares sizes, field offsets,
/// ioctl numbers and flag values with the C# declarations. Debian 12's headers are 6.1: the EXTENDED clockid field
/// (6.12+) and caps max_phase_adj (6.7+) are checked by position (the field after n_samples / adjust_phase).
/// </summary>
public class NativeLayoutTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stddef.h>
        #include <stdio.h>
        #include <fcntl.h>
        #include <sys/epoll.h>
        #include <sys/stat.h>
        #include <sys/timex.h>
        #include <linux/ptp_clock.h>
        #define P(name, value) printf("%s %lld\n", name, (long long)(value))
        int main(void) {
            P("ptp_clock_time.size", sizeof(struct ptp_clock_time));
            P("ptp_clock_time.sec", offsetof(struct ptp_clock_time, sec));
            P("ptp_clock_time.nsec", offsetof(struct ptp_clock_time, nsec));
            P("ptp_clock_time.reserved", offsetof(struct ptp_clock_time, reserved));
            P("caps.size", sizeof(struct ptp_clock_caps));
            P("caps.max_adj", offsetof(struct ptp_clock_caps, max_adj));
            P("caps.n_alarm", offsetof(struct ptp_clock_caps, n_alarm));
            P("caps.n_ext_ts", offsetof(struct ptp_clock_caps, n_ext_ts));
            P("caps.n_per_out", offsetof(struct ptp_clock_caps, n_per_out));
            P("caps.pps", offsetof(struct ptp_clock_caps, pps));
            P("caps.n_pins", offsetof(struct ptp_clock_caps, n_pins));
            P("caps.cross_timestamping", offsetof(struct ptp_clock_caps, cross_timestamping));
            P("caps.adjust_phase", offsetof(struct ptp_clock_caps, adjust_phase));
            P("caps.after_adjust_phase", offsetof(struct ptp_clock_caps, adjust_phase) + sizeof(int));
            P("sys_offset.size", sizeof(struct ptp_sys_offset));
            P("sys_offset.n_samples", offsetof(struct ptp_sys_offset, n_samples));
            P("sys_offset.ts", offsetof(struct ptp_sys_offset, ts));
            P("sys_offset.ts_count", sizeof(((struct ptp_sys_offset *)0)->ts) / sizeof(struct ptp_clock_time));
            P("extended.size", sizeof(struct ptp_sys_offset_extended));
            P("extended.n_samples", offsetof(struct ptp_sys_offset_extended, n_samples));
            P("extended.after_n_samples", offsetof(struct ptp_sys_offset_extended, n_samples) + sizeof(unsigned int));
            P("extended.ts", offsetof(struct ptp_sys_offset_extended, ts));
            P("extended.ts_count", sizeof(((struct ptp_sys_offset_extended *)0)->ts) / sizeof(struct ptp_clock_time));
            P("precise.size", sizeof(struct ptp_sys_offset_precise));
            P("precise.device", offsetof(struct ptp_sys_offset_precise, device));
            P("precise.sys_realtime", offsetof(struct ptp_sys_offset_precise, sys_realtime));
            P("precise.sys_monoraw", offsetof(struct ptp_sys_offset_precise, sys_monoraw));
            P("PTP_MAX_SAMPLES", PTP_MAX_SAMPLES);
            P("PTP_CLOCK_GETCAPS", PTP_CLOCK_GETCAPS);
            P("PTP_CLOCK_GETCAPS2", PTP_CLOCK_GETCAPS2);
            P("PTP_SYS_OFFSET", PTP_SYS_OFFSET);
            P("PTP_SYS_OFFSET2", PTP_SYS_OFFSET2);
            P("PTP_SYS_OFFSET_PRECISE", PTP_SYS_OFFSET_PRECISE);
            P("PTP_SYS_OFFSET_PRECISE2", PTP_SYS_OFFSET_PRECISE2);
            P("PTP_SYS_OFFSET_EXTENDED", PTP_SYS_OFFSET_EXTENDED);
            P("PTP_SYS_OFFSET_EXTENDED2", PTP_SYS_OFFSET_EXTENDED2);
            P("timex.size", sizeof(struct timex));
            P("timex.modes", offsetof(struct timex, modes));
            P("timex.offset", offsetof(struct timex, offset));
            P("timex.freq", offsetof(struct timex, freq));
            P("timex.maxerror", offsetof(struct timex, maxerror));
            P("timex.esterror", offsetof(struct timex, esterror));
            P("timex.status", offsetof(struct timex, status));
            P("timex.constant", offsetof(struct timex, constant));
            P("timex.precision", offsetof(struct timex, precision));
            P("timex.tolerance", offsetof(struct timex, tolerance));
            P("timex.time.tv_sec", offsetof(struct timex, time.tv_sec));
            P("timex.time.tv_usec", offsetof(struct timex, time.tv_usec));
            P("timex.tick", offsetof(struct timex, tick));
            P("timex.ppsfreq", offsetof(struct timex, ppsfreq));
            P("timex.jitter", offsetof(struct timex, jitter));
            P("timex.shift", offsetof(struct timex, shift));
            P("timex.stabil", offsetof(struct timex, stabil));
            P("timex.jitcnt", offsetof(struct timex, jitcnt));
            P("timex.calcnt", offsetof(struct timex, calcnt));
            P("timex.errcnt", offsetof(struct timex, errcnt));
            P("timex.stbcnt", offsetof(struct timex, stbcnt));
            P("timex.tai", offsetof(struct timex, tai));
            P("ADJ_OFFSET", ADJ_OFFSET); P("ADJ_FREQUENCY", ADJ_FREQUENCY); P("ADJ_MAXERROR", ADJ_MAXERROR);
            P("ADJ_ESTERROR", ADJ_ESTERROR); P("ADJ_STATUS", ADJ_STATUS); P("ADJ_TIMECONST", ADJ_TIMECONST);
            P("ADJ_TAI", ADJ_TAI); P("ADJ_SETOFFSET", ADJ_SETOFFSET); P("ADJ_MICRO", ADJ_MICRO);
            P("ADJ_NANO", ADJ_NANO); P("ADJ_TICK", ADJ_TICK);
            P("STA_PLL", STA_PLL); P("STA_PPSFREQ", STA_PPSFREQ); P("STA_PPSTIME", STA_PPSTIME); P("STA_FLL", STA_FLL);
            P("STA_INS", STA_INS); P("STA_DEL", STA_DEL); P("STA_UNSYNC", STA_UNSYNC); P("STA_FREQHOLD", STA_FREQHOLD);
            P("STA_NANO", STA_NANO); P("STA_MODE", STA_MODE); P("STA_RONLY", STA_RONLY);
            P("TIME_OK", TIME_OK); P("TIME_INS", TIME_INS); P("TIME_DEL", TIME_DEL); P("TIME_OOP", TIME_OOP);
            P("TIME_WAIT", TIME_WAIT); P("TIME_ERROR", TIME_ERROR);
            P("statx.size", sizeof(struct statx));
            P("statx.stx_mask", offsetof(struct statx, stx_mask));
            P("statx.stx_mode", offsetof(struct statx, stx_mode));
            P("statx.stx_ino", offsetof(struct statx, stx_ino));
            P("statx.stx_size", offsetof(struct statx, stx_size));
            P("statx.stx_atime", offsetof(struct statx, stx_atime));
            P("statx.stx_mtime", offsetof(struct statx, stx_mtime));
            P("statx.stx_dev_major", offsetof(struct statx, stx_dev_major));
            P("statx.stx_dev_minor", offsetof(struct statx, stx_dev_minor));
            P("statx_timestamp.size", sizeof(struct statx_timestamp));
            P("AT_FDCWD", AT_FDCWD); P("AT_EMPTY_PATH", AT_EMPTY_PATH);
            P("STATX_TYPE", STATX_TYPE); P("STATX_MODE", STATX_MODE); P("STATX_INO", STATX_INO); P("STATX_SIZE", STATX_SIZE);
            P("S_IFMT", S_IFMT); P("S_IFSOCK", S_IFSOCK);
            P("epoll_event.size", sizeof(struct epoll_event));
            P("epoll_event.events", offsetof(struct epoll_event, events));
            P("epoll_event.data", offsetof(struct epoll_event, data));
            P("EPOLLIN", EPOLLIN); P("EPOLLET", EPOLLET); P("EPOLL_CLOEXEC", EPOLL_CLOEXEC);
            P("EPOLL_CTL_ADD", EPOLL_CTL_ADD); P("EPOLL_CTL_DEL", EPOLL_CTL_DEL);
            return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, long>> CValues = new(CompileAndRun);

    private static Dictionary<string, long> CompileAndRun()
    {
        var directory = Directory.CreateTempSubdirectory("virtsync-layout-");
        try
        {
            var source = Path.Combine(directory.FullName, "layout.c");
            var binary = Path.Combine(directory.FullName, "layout");
            File.WriteAllText(source, Program);
            var (compileExit, compileOutput) = Run("gcc", ["-std=gnu11", "-Wall", "-o", binary, source]);
            Assert.True(compileExit == 0, $"gcc failed: {compileOutput}");
            var (exit, output) = Run(binary, []);
            Assert.Equal(0, exit);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static (int Exit, string Output) Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static string? GccMissing()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':').Any(d => File.Exists(Path.Combine(d, "gcc"))) ? null : "gcc is not installed: cannot compare layouts with C";
    }

    private static long C(string name) => CValues.Value[name];

    private static void Same(string cName, long csharpValue) => Assert.True(C(cName) == csharpValue, $"{cName}: C says {C(cName)}, C# says {csharpValue}");

    private static long OffsetOf<TStruct, TField>(ref TStruct value, ref TField field) =>
        (long)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref value), ref Unsafe.As<TField, byte>(ref field));

    [Fact]
    public void PtpStructs_MatchTheKernelHeader()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        var time = new PtpClockTime();
        Same("ptp_clock_time.size", Unsafe.SizeOf<PtpClockTime>());
        Same("ptp_clock_time.sec", OffsetOf(ref time, ref time.Seconds));
        Same("ptp_clock_time.nsec", OffsetOf(ref time, ref time.Nanoseconds));
        Same("ptp_clock_time.reserved", OffsetOf(ref time, ref time.Reserved));

        var caps = new PtpClockCaps();
        Assert.Equal(80, C("caps.size"));
        Same("caps.size", Unsafe.SizeOf<PtpClockCaps>());
        Same("caps.max_adj", OffsetOf(ref caps, ref caps.MaxAdjPpb));
        Same("caps.n_alarm", OffsetOf(ref caps, ref caps.NAlarm));
        Same("caps.n_ext_ts", OffsetOf(ref caps, ref caps.NExtTs));
        Same("caps.n_per_out", OffsetOf(ref caps, ref caps.NPerOut));
        Same("caps.pps", OffsetOf(ref caps, ref caps.Pps));
        Same("caps.n_pins", OffsetOf(ref caps, ref caps.NPins));
        Same("caps.cross_timestamping", OffsetOf(ref caps, ref caps.CrossTimestamping));
        Same("caps.adjust_phase", OffsetOf(ref caps, ref caps.AdjustPhase));
        Same("caps.after_adjust_phase", OffsetOf(ref caps, ref caps.MaxPhaseAdj));

        var basic = new PtpSysOffset();
        Assert.Equal(832, C("sys_offset.size"));
        Same("sys_offset.size", Unsafe.SizeOf<PtpSysOffset>());
        Same("sys_offset.n_samples", OffsetOf(ref basic, ref basic.NSamples));
        Same("sys_offset.ts", OffsetOf(ref basic, ref basic.Timestamps));
        Same("sys_offset.ts_count", Unsafe.SizeOf<PtpInterleavedTimes>() / Unsafe.SizeOf<PtpClockTime>());

        var extended = new PtpSysOffsetExtended();
        Assert.Equal(1216, C("extended.size"));
        Same("extended.size", Unsafe.SizeOf<PtpSysOffsetExtended>());
        Same("extended.n_samples", OffsetOf(ref extended, ref extended.NSamples));
        Same("extended.after_n_samples", OffsetOf(ref extended, ref extended.ClockId));
        Same("extended.ts", OffsetOf(ref extended, ref extended.Timestamps));
        Same("extended.ts_count", Unsafe.SizeOf<PtpTripleTimes>() / Unsafe.SizeOf<PtpClockTime>());

        var precise = new PtpSysOffsetPrecise();
        Assert.Equal(64, C("precise.size"));
        Same("precise.size", Unsafe.SizeOf<PtpSysOffsetPrecise>());
        Same("precise.device", OffsetOf(ref precise, ref precise.Device));
        Same("precise.sys_realtime", OffsetOf(ref precise, ref precise.SysRealtime));
        Same("precise.sys_monoraw", OffsetOf(ref precise, ref precise.SysMonoRaw));

        Same("PTP_MAX_SAMPLES", PtpLimits.MaxSamples);
    }

    [Fact]
    public void PtpIoctlNumbers_MatchTheKernelHeader()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        Same("PTP_CLOCK_GETCAPS", PtpRequests.GetCaps);
        Same("PTP_CLOCK_GETCAPS2", PtpRequests.GetCaps2);
        Same("PTP_SYS_OFFSET", PtpRequests.SysOffset);
        Same("PTP_SYS_OFFSET2", PtpRequests.SysOffset2);
        Same("PTP_SYS_OFFSET_PRECISE", PtpRequests.SysOffsetPrecise);
        Same("PTP_SYS_OFFSET_PRECISE2", PtpRequests.SysOffsetPrecise2);
        Same("PTP_SYS_OFFSET_EXTENDED", PtpRequests.SysOffsetExtended);
        Same("PTP_SYS_OFFSET_EXTENDED2", PtpRequests.SysOffsetExtended2);
    }

    [Fact]
    public void Timex_MatchesGlibc()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        var t = new Timex();
        Assert.Equal(208, C("timex.size"));
        Same("timex.size", Unsafe.SizeOf<Timex>());
        Same("timex.modes", OffsetOf(ref t, ref t.Modes));
        Same("timex.offset", OffsetOf(ref t, ref t.Offset));
        Same("timex.freq", OffsetOf(ref t, ref t.Freq));
        Same("timex.maxerror", OffsetOf(ref t, ref t.MaxError));
        Same("timex.esterror", OffsetOf(ref t, ref t.EstError));
        Same("timex.status", OffsetOf(ref t, ref t.Status));
        Same("timex.constant", OffsetOf(ref t, ref t.Constant));
        Same("timex.precision", OffsetOf(ref t, ref t.Precision));
        Same("timex.tolerance", OffsetOf(ref t, ref t.Tolerance));
        Same("timex.time.tv_sec", OffsetOf(ref t, ref t.TimeSeconds));
        Same("timex.time.tv_usec", OffsetOf(ref t, ref t.TimeFraction));
        Same("timex.tick", OffsetOf(ref t, ref t.Tick));
        Same("timex.ppsfreq", OffsetOf(ref t, ref t.PpsFreq));
        Same("timex.jitter", OffsetOf(ref t, ref t.Jitter));
        Same("timex.shift", OffsetOf(ref t, ref t.Shift));
        Same("timex.stabil", OffsetOf(ref t, ref t.Stabil));
        Same("timex.jitcnt", OffsetOf(ref t, ref t.JitCnt));
        Same("timex.calcnt", OffsetOf(ref t, ref t.CalCnt));
        Same("timex.errcnt", OffsetOf(ref t, ref t.ErrCnt));
        Same("timex.stbcnt", OffsetOf(ref t, ref t.StbCnt));
        Same("timex.tai", OffsetOf(ref t, ref t.Tai));
    }

    [Fact]
    public void TimexFlags_MatchGlibc()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        Same("ADJ_OFFSET", TimexFlags.AdjOffset);
        Same("ADJ_FREQUENCY", TimexFlags.AdjFrequency);
        Same("ADJ_MAXERROR", TimexFlags.AdjMaxError);
        Same("ADJ_ESTERROR", TimexFlags.AdjEstError);
        Same("ADJ_STATUS", TimexFlags.AdjStatus);
        Same("ADJ_TIMECONST", TimexFlags.AdjTimeConst);
        Same("ADJ_TAI", TimexFlags.AdjTai);
        Same("ADJ_SETOFFSET", TimexFlags.AdjSetOffset);
        Same("ADJ_MICRO", TimexFlags.AdjMicro);
        Same("ADJ_NANO", TimexFlags.AdjNano);
        Same("ADJ_TICK", TimexFlags.AdjTick);
        Same("STA_PLL", TimexFlags.StaPll);
        Same("STA_PPSFREQ", TimexFlags.StaPpsFreq);
        Same("STA_PPSTIME", TimexFlags.StaPpsTime);
        Same("STA_FLL", TimexFlags.StaFll);
        Same("STA_INS", TimexFlags.StaIns);
        Same("STA_DEL", TimexFlags.StaDel);
        Same("STA_UNSYNC", TimexFlags.StaUnsync);
        Same("STA_FREQHOLD", TimexFlags.StaFreqHold);
        Same("STA_NANO", TimexFlags.StaNano);
        Same("STA_MODE", TimexFlags.StaMode);
        Same("STA_RONLY", TimexFlags.StaReadOnly);
        Same("STA_INS", Sync.Clock.Linux.TimexEncoding.ToStatusBits(Sync.Filters.Discipline.ClockStatus.InsertLeap));
        Same("STA_DEL", Sync.Clock.Linux.TimexEncoding.ToStatusBits(Sync.Filters.Discipline.ClockStatus.DeleteLeap));
        Same("STA_UNSYNC", Sync.Clock.Linux.TimexEncoding.ToStatusBits(Sync.Filters.Discipline.ClockStatus.Unsynchronized));
        Same("TIME_OK", (long)Sync.Clock.Linux.KernelTimeState.Ok);
        Same("TIME_INS", (long)Sync.Clock.Linux.KernelTimeState.InsertingLeap);
        Same("TIME_DEL", (long)Sync.Clock.Linux.KernelTimeState.DeletingLeap);
        Same("TIME_OOP", (long)Sync.Clock.Linux.KernelTimeState.LeapInProgress);
        Same("TIME_WAIT", (long)Sync.Clock.Linux.KernelTimeState.LeapWait);
        Same("TIME_ERROR", (long)Sync.Clock.Linux.KernelTimeState.Error);
    }

    [Fact]
    public void Statx_MatchesTheKernelHeader()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        var x = new Statx();
        Same("statx.size", Unsafe.SizeOf<Statx>());
        Same("statx.size", Statx.Size);
        Same("statx.stx_mask", OffsetOf(ref x, ref x.Mask));
        Same("statx.stx_mode", OffsetOf(ref x, ref x.Mode));
        Same("statx.stx_ino", OffsetOf(ref x, ref x.Inode));
        Same("statx.stx_size", OffsetOf(ref x, ref x.SizeBytes));
        Same("statx.stx_atime", OffsetOf(ref x, ref x.AccessTime));
        Same("statx.stx_mtime", OffsetOf(ref x, ref x.ModifyTime));
        Same("statx.stx_dev_major", OffsetOf(ref x, ref x.DevMajor));
        Same("statx.stx_dev_minor", OffsetOf(ref x, ref x.DevMinor));
        Same("statx_timestamp.size", Unsafe.SizeOf<StatxTimestamp>());
        Same("AT_FDCWD", Statx.AT_FDCWD);
        Same("AT_EMPTY_PATH", Statx.AT_EMPTY_PATH);
        Same("STATX_TYPE", Statx.STATX_TYPE);
        Same("STATX_MODE", Statx.STATX_MODE);
        Same("STATX_INO", Statx.STATX_INO);
        Same("STATX_SIZE", Statx.STATX_SIZE);
        Same("S_IFMT", Statx.S_IFMT);
        Same("S_IFSOCK", Statx.S_IFSOCK);
    }

    [Fact]
    public void EpollEvent_MatchesGlibcOnThisArchitecture()
    {
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");

        // glibc packs struct epoll_event on x86_64 only; the C compiler here builds for the architecture the test runs on.
        Same("epoll_event.size", LibC.EpollEventBytes);
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            var packed = new EpollEventPacked();
            SameEpollEvent(ref packed, ref packed.Events, ref packed.Data);
        }
        else
        {
            var aligned = new EpollEventAligned();
            SameEpollEvent(ref aligned, ref aligned.Events, ref aligned.Data);
        }
        Same("EPOLLIN", LibC.EPOLLIN);
        Same("EPOLLET", LibC.EPOLLET);
        Same("EPOLL_CLOEXEC", LibC.EPOLL_CLOEXEC);
        Same("EPOLL_CTL_ADD", LibC.EPOLL_CTL_ADD);
        Same("EPOLL_CTL_DEL", LibC.EPOLL_CTL_DEL);
    }

    private static void SameEpollEvent<T>(ref T value, ref uint events, ref ulong data) where T : struct
    {
        Same("epoll_event.size", Unsafe.SizeOf<T>());
        Same("epoll_event.events", OffsetOf(ref value, ref events));
        Same("epoll_event.data", OffsetOf(ref value, ref data));
    }

    [Fact]
    public void IoctlNumbers_AreEncodedAsTheKernelDoes()
    {
        Assert.Equal(0x80503D01u, PtpRequests.GetCaps);
        Assert.Equal(0x80503D0Au, PtpRequests.GetCaps2);
        Assert.Equal(0x43403D05u, PtpRequests.SysOffset);
        Assert.Equal(0x43403D0Eu, PtpRequests.SysOffset2);
        Assert.Equal(0xC0403D08u, PtpRequests.SysOffsetPrecise);
        Assert.Equal(0xC0403D11u, PtpRequests.SysOffsetPrecise2);
        Assert.Equal(0xC4C03D09u, PtpRequests.SysOffsetExtended);
        Assert.Equal(0xC4C03D12u, PtpRequests.SysOffsetExtended2);
    }

    [Theory]
    [InlineData(3, -29)]
    [InlineData(0, -5)]
    [InlineData(10, -85)]
    public void DynamicClockId_IsNotFdShiftedOr3(int fd, int clockId) =>
        Assert.Equal(clockId, ClockIds.FromFileDescriptor(fd));

    [Fact]
    public void VmClockLayout_FollowsTheAbiHeaderFieldOrder()
    {
        // vmclock-abi.h is not in Debian 12's 6.1 headers: the same struct is compiled here from its definition.
        Assert.SkipWhen(GccMissing() is not null, GccMissing() ?? "");
        const string program = """
            #include <stddef.h>
            #include <stdint.h>
            #include <stdio.h>
            struct vmclock_abi {
                uint32_t magic; uint32_t size; uint16_t version; uint8_t counter_id; uint8_t time_type;
                uint32_t seq_count; uint64_t disruption_marker; uint64_t flags; uint8_t pad[2]; uint8_t clock_status;
                uint8_t leap_second_smearing_hint; uint16_t tai_offset_sec; uint8_t leap_indicator;
                uint8_t counter_period_shift; uint64_t counter_value; uint64_t counter_period_frac_sec;
                uint64_t counter_period_esterror_rate_frac_sec; uint64_t counter_period_maxerror_rate_frac_sec;
                uint64_t time_sec; uint64_t time_frac_sec; uint64_t time_esterror_nanosec; uint64_t time_maxerror_nanosec;
                uint64_t vm_generation_counter;
            };
            #define P(f) printf("%zu\n", offsetof(struct vmclock_abi, f))
            int main(void) {
                P(size); P(version); P(counter_id); P(time_type); P(seq_count); P(disruption_marker); P(flags);
                P(pad); P(clock_status); P(leap_second_smearing_hint); P(tai_offset_sec); P(leap_indicator);
                P(counter_period_shift); P(counter_value); P(counter_period_frac_sec);
                P(counter_period_esterror_rate_frac_sec); P(counter_period_maxerror_rate_frac_sec); P(time_sec);
                P(time_frac_sec); P(time_esterror_nanosec); P(time_maxerror_nanosec); P(vm_generation_counter);
                printf("%zu\n", sizeof(struct vmclock_abi));
                return 0;
            }
            """;
        var directory = Directory.CreateTempSubdirectory("virtsync-vmclock-");
        try
        {
            var source = Path.Combine(directory.FullName, "vmclock.c");
            var binary = Path.Combine(directory.FullName, "vmclock");
            File.WriteAllText(source, program);
            Assert.Equal(0, Run("gcc", ["-o", binary, source]).Exit);
            var offsets = Run(binary, []).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.Equal(
                [VmClockLayout.SizeOffset, VmClockLayout.VersionOffset, VmClockLayout.CounterIdOffset, VmClockLayout.TimeTypeOffset,
                 VmClockLayout.SeqCountOffset, VmClockLayout.DisruptionMarkerOffset, VmClockLayout.FlagsOffset, VmClockLayout.MinimumSize,
                 VmClockLayout.ClockStatusOffset, VmClockLayout.SmearingHintOffset, VmClockLayout.TaiOffsetSecOffset,
                 VmClockLayout.LeapIndicatorOffset, VmClockLayout.CounterPeriodShiftOffset, VmClockLayout.CounterValueOffset,
                 VmClockLayout.CounterPeriodFracSecOffset, VmClockLayout.CounterPeriodEsterrorRateOffset,
                 VmClockLayout.CounterPeriodMaxerrorRateOffset, VmClockLayout.TimeSecOffset, VmClockLayout.TimeFracSecOffset,
                 VmClockLayout.TimeEsterrorNsOffset, VmClockLayout.TimeMaxerrorNsOffset, VmClockLayout.VmGenerationCounterOffset,
                 VmClockLayout.FullSize],
                offsets);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
