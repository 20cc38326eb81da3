using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Linux;

public class LinuxPhcTests
{
    private const long BaseNs = 1_764_000_000_123_456_789;
    private static readonly ReferenceClockInfo TaiClock = new("/dev/ptp7", "Virtio PTP type 1/variant 0", ClockScale.Tai);

    /// <summary>EXTENDED answer: sample i = [base + 1000 i, base + 37 s + 1000 i + 100, base + 1000 i + 200 + i].</summary>
    private static int FillExtended(Span<byte> argument)
    {
        ref var ext = ref FakePtpIoctl.As<PtpSysOffsetExtended>(argument);
        for (var i = 0; i < (int)ext.NSamples; i++)
        {
            ext.Timestamps[3 * i] = PtpClockTime.FromNanoseconds(BaseNs + 1000 * i);
            ext.Timestamps[3 * i + 1] = PtpClockTime.FromNanoseconds(BaseNs + 37_000_000_000 + 1000 * i + 100);
            ext.Timestamps[3 * i + 2] = PtpClockTime.FromNanoseconds(BaseNs + 1000 * i + 200 + i);
        }
        return 0;
    }

    private static int FillBasic(Span<byte> argument)
    {
        ref var basic = ref FakePtpIoctl.As<PtpSysOffset>(argument);
        for (var i = 0; i < 2 * (int)basic.NSamples + 1; i++)
            basic.Timestamps[i] = PtpClockTime.FromNanoseconds(BaseNs + 500 * i);
        return 0;
    }

    private static int FillPrecise(Span<byte> argument)
    {
        ref var precise = ref FakePtpIoctl.As<PtpSysOffsetPrecise>(argument);
        precise.Device = PtpClockTime.FromNanoseconds(BaseNs + 37_000_000_000);
        precise.SysRealtime = PtpClockTime.FromNanoseconds(BaseNs);
        precise.SysMonoRaw = PtpClockTime.FromNanoseconds(5_000_000);
        return 0;
    }

    private static int FillCaps(Span<byte> argument)
    {
        ref var caps = ref FakePtpIoctl.As<PtpClockCaps>(argument);
        caps.CrossTimestamping = 0;
        caps.MaxAdjPpb = 0;
        caps.NPins = 2;
        return 0;
    }

    private static FakePtpIoctl VirtioOnX86()
    {
        var fake = new FakePtpIoctl();
        fake.Handlers[PtpRequests.GetCaps2] = FillCaps;
        fake.Handlers[PtpRequests.SysOffsetPrecise2] = FakePtpIoctl.Fail(Errno.EOPNOTSUPP);
        fake.Handlers[PtpRequests.SysOffsetPrecise] = FakePtpIoctl.Fail(Errno.EOPNOTSUPP);
        fake.Handlers[PtpRequests.SysOffsetExtended2] = FillExtended;
        fake.Handlers[PtpRequests.SysOffsetExtended] = FillExtended;
        fake.Handlers[PtpRequests.SysOffset2] = FillBasic;
        fake.Handlers[PtpRequests.SysOffset] = FillBasic;
        return fake;
    }

    [Fact]
    public void VirtioOnX86_FallsFromPreciseToExtended2_AndKeepsIt()
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);

        var first = phc.Read(3);
        Assert.True(first.IsOk, first.Error?.ToString());
        Assert.Equal(["open", "PTP_CLOCK_GETCAPS2", "PTP_SYS_OFFSET_PRECISE2", "PTP_SYS_OFFSET_PRECISE", "PTP_SYS_OFFSET_EXTENDED2"], fake.Calls);
        Assert.Equal(PtpReadMethod.Extended2, phc.PtpMethod);
        Assert.Equal(ReadingMethod.Extended, phc.Method);
        Assert.Equal(ReadingMethod.Extended, first.Value.Method);
        Assert.Equal(ClockScale.Tai, first.Value.PhcScale);
        Assert.False(phc.Capabilities!.CrossTimestamping);
        Assert.Equal("PTP_CLOCK_GETCAPS2", phc.Capabilities.Request);

        fake.Calls.Clear();
        Assert.True(phc.Read(3).IsOk);
        Assert.Equal(["PTP_SYS_OFFSET_EXTENDED2"], fake.Calls);
    }

    [Fact]
    public void Extended_DecodesEveryTripleExactly()
    {
        using var phc = new LinuxPhc(TaiClock, VirtioOnX86());
        var reading = phc.Read(25).Value;

        Assert.Equal(25, reading.Samples.Count);
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(new SampleTriple(BaseNs + 1000 * i, BaseNs + 37_000_000_000 + 1000 * i + 100, BaseNs + 1000 * i + 200 + i), reading.Samples[i]);
        }
    }

    [Fact]
    public void Extended2_IsSentWithSampleCountAndClockIdRealtime_WhichIsTheZeroedReservedFieldOfOldKernels()
    {
        var fake = VirtioOnX86();
        byte[]? sent = null;
        fake.Handlers[PtpRequests.SysOffsetExtended2] = argument =>
        {
            sent = argument.ToArray();
            return FillExtended(argument);
        };
        using var phc = new LinuxPhc(TaiClock, fake);
        phc.Read(7);

        Assert.NotNull(sent);
        Assert.Equal(PtpSysOffsetExtended.Size, sent.Length);
        Assert.Equal(7u, BitConverter.ToUInt32(sent, 0));
        Assert.All(sent[4..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void OldKernelOrClknetsim_KnowsOnlyOldNumbers_GetCapsAndPreciseAreUsed()
    {
        var fake = new FakePtpIoctl();
        fake.Handlers[PtpRequests.GetCaps] = FillCaps;
        fake.Handlers[PtpRequests.SysOffsetPrecise] = FillPrecise;
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(2);

        Assert.True(reading.IsOk, reading.Error?.ToString());
        Assert.Equal(PtpReadMethod.Precise, phc.PtpMethod);
        Assert.Equal("PTP_CLOCK_GETCAPS", phc.Capabilities!.Request);
        Assert.Equal(["open", "PTP_CLOCK_GETCAPS2", "PTP_CLOCK_GETCAPS", "PTP_SYS_OFFSET_PRECISE2", "PTP_SYS_OFFSET_PRECISE", "PTP_SYS_OFFSET_PRECISE"], fake.Calls);
        Assert.Equal(ReadingMethod.Precise, reading.Value.Method);
        Assert.Equal(2, reading.Value.Samples.Count);
        Assert.Equal(new SampleTriple(BaseNs, BaseNs + 37_000_000_000, BaseNs), reading.Value.Samples[0]);
    }

    [Fact]
    public void OnlyExtendedOldNumber_IsFoundAfterExtended2SaysNotTty()
    {
        var fake = new FakePtpIoctl();
        fake.Handlers[PtpRequests.SysOffsetExtended] = FillExtended;
        using var phc = new LinuxPhc(TaiClock, fake);

        Assert.True(phc.Read(1).IsOk);
        Assert.Equal(PtpReadMethod.Extended, phc.PtpMethod);
        Assert.Null(phc.Capabilities);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BasicSysOffset_DecodesInterleavedTimestamps(bool newNumber)
    {
        var fake = new FakePtpIoctl();
        fake.Handlers[newNumber ? PtpRequests.SysOffset2 : PtpRequests.SysOffset] = FillBasic;
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(3).Value;

        Assert.Equal(newNumber ? PtpReadMethod.SysOffset2 : PtpReadMethod.SysOffset, phc.PtpMethod);
        Assert.Equal(ReadingMethod.Basic, reading.Method);
        Assert.Equal(
            [new SampleTriple(BaseNs, BaseNs + 500, BaseNs + 1000), new SampleTriple(BaseNs + 1000, BaseNs + 1500, BaseNs + 2000), new SampleTriple(BaseNs + 2000, BaseNs + 2500, BaseNs + 3000)],
            reading.Samples);
    }

    [Fact]
    public void NoIoctlWorks_ClockGettimeOnTheDynamicClockIsBracketedByRealtimeReads()
    {
        var fake = new FakePtpIoctl { RealtimeNs = 1000, RealtimeStepNs = 10 };
        var phcNs = 5_000L;
        fake.DeviceClock = () => (0, phcNs += 3);
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(2).Value;

        Assert.Equal(PtpReadMethod.ClockGettime, phc.PtpMethod);
        Assert.Equal(ReadingMethod.ClockGettime, reading.Method);
        Assert.Equal([new SampleTriple(1010, 5003, 1020), new SampleTriple(1030, 5006, 1040)], reading.Samples);
    }

    [Fact]
    public void NothingWorks_NotSupportedNamingThePath()
    {
        var fake = new FakePtpIoctl { DeviceClock = () => (Errno.EOPNOTSUPP, 0) };
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(1);

        Assert.Equal(ClockErrorKind.NotSupported, reading.Error!.Kind);
        Assert.Contains("/dev/ptp7", reading.Error.Message);
        Assert.Null(phc.PtpMethod);
    }

    [Fact]
    public void TransientErrors_AreRetried_ThenTheReadingSucceeds()
    {
        var fake = VirtioOnX86();
        fake.Script(PtpRequests.SysOffsetExtended2, FakePtpIoctl.Fail(Errno.EBUSY), FakePtpIoctl.Fail(Errno.EINTR));
        using var phc = new LinuxPhc(TaiClock, fake);

        Assert.True(phc.Read(1).IsOk);
        Assert.Equal(3, fake.Calls.Count(c => c == "PTP_SYS_OFFSET_EXTENDED2"));
        Assert.Equal(PtpReadMethod.Extended2, phc.PtpMethod);
    }

    [Fact]
    public void PersistentTransientError_IsReported_WithoutSettlingForAWorseMethod()
    {
        var fake = VirtioOnX86();
        fake.Handlers[PtpRequests.SysOffsetExtended2] = FakePtpIoctl.Fail(Errno.EAGAIN);
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(1);

        Assert.Equal(ClockErrorKind.Transient, reading.Error!.Kind);
        Assert.Equal("EAGAIN", reading.Error.ErrnoName);
        Assert.Equal(LinuxPhc.MaxAttemptsOnTransientError, fake.Calls.Count(c => c == "PTP_SYS_OFFSET_EXTENDED2"));
        Assert.DoesNotContain("PTP_SYS_OFFSET_EXTENDED", fake.Calls);
        Assert.Null(phc.PtpMethod);
    }

    [Fact]
    public void DeviceGone_ClosesTheDevice_NextReadReopensAndProbesAgain()
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);
        Assert.True(phc.Read(1).IsOk);

        fake.Script(PtpRequests.SysOffsetExtended2, FakePtpIoctl.Fail(Errno.ENODEV));
        var lost = phc.Read(1);
        Assert.Equal(ClockErrorKind.DeviceGone, lost.Error!.Kind);
        Assert.Equal("ENODEV", lost.Error.ErrnoName);
        Assert.False(fake.IsOpen);
        Assert.Null(phc.PtpMethod);

        fake.Calls.Clear();
        Assert.True(phc.Read(1).IsOk);
        Assert.Equal(2, fake.Opens);
        Assert.Equal(["open", "PTP_CLOCK_GETCAPS2", "PTP_SYS_OFFSET_PRECISE2", "PTP_SYS_OFFSET_PRECISE", "PTP_SYS_OFFSET_EXTENDED2"], fake.Calls);
    }

    [Fact]
    public void PreciseSaysNoDevice_BecauseTheCounterIsNotTheClocksource_ProbeMovesOn()
    {
        var fake = VirtioOnX86();
        fake.Handlers[PtpRequests.SysOffsetPrecise2] = FakePtpIoctl.Fail(Errno.ENODEV);
        using var phc = new LinuxPhc(TaiClock, fake);

        Assert.True(phc.Read(1).IsOk);
        Assert.Equal(PtpReadMethod.Extended2, phc.PtpMethod);
        Assert.True(fake.IsOpen);
    }

    [Fact]
    public void EveryMethodSaysNoDevice_DeviceGoneAndClosed()
    {
        var fake = new FakePtpIoctl { DeviceClock = () => (Errno.ENODEV, 0) };
        foreach (var request in new[] { PtpRequests.SysOffsetPrecise2, PtpRequests.SysOffsetPrecise, PtpRequests.SysOffsetExtended2, PtpRequests.SysOffsetExtended, PtpRequests.SysOffset2, PtpRequests.SysOffset })
            fake.Handlers[request] = FakePtpIoctl.Fail(Errno.ENODEV);
        using var phc = new LinuxPhc(TaiClock, fake);

        Assert.Equal(ClockErrorKind.DeviceGone, phc.Read(1).Error!.Kind);
        Assert.False(fake.IsOpen);
    }

    [Fact]
    public void WorkingMethodStartsSayingNotSupported_ProbesAgainFromTheTop()
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);
        phc.Read(1);
        fake.Handlers[PtpRequests.SysOffsetExtended2] = FakePtpIoctl.Fail(Errno.EOPNOTSUPP);
        fake.Calls.Clear();

        Assert.True(phc.Read(1).IsOk);
        Assert.Equal(PtpReadMethod.Extended, phc.PtpMethod);
        Assert.Equal(["PTP_SYS_OFFSET_EXTENDED2", "PTP_SYS_OFFSET_PRECISE2", "PTP_SYS_OFFSET_PRECISE", "PTP_SYS_OFFSET_EXTENDED2", "PTP_SYS_OFFSET_EXTENDED"], fake.Calls);
    }

    [Fact]
    public void OtherErrors_NameTheIoctlAndThePath()
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);
        phc.Read(1);
        fake.Handlers[PtpRequests.SysOffsetExtended2] = FakePtpIoctl.Fail(Errno.EIO);

        var error = phc.Read(1).Error!;

        Assert.Equal(ClockErrorKind.Other, error.Kind);
        Assert.Equal("EIO", error.ErrnoName);
        Assert.Contains("PTP_SYS_OFFSET_EXTENDED2", error.Message);
        Assert.Contains("/dev/ptp7", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(26)]
    [InlineData(-1)]
    public void SamplesOutside1To25_AreRejectedBeforeAnyCall(int samples)
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(samples);

        Assert.Equal(ClockErrorKind.InvalidArgument, reading.Error!.Kind);
        Assert.Empty(fake.Calls);
    }

    [Theory]
    [InlineData(Errno.ENOENT, ClockErrorKind.DeviceGone)]
    [InlineData(Errno.EACCES, ClockErrorKind.PermissionDenied)]
    public void OpenFailure_IsTyped(int errno, ClockErrorKind kind)
    {
        var fake = new FakePtpIoctl { OpenErrno = errno };
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(1);

        Assert.Equal(kind, reading.Error!.Kind);
        Assert.Contains("open on /dev/ptp7", reading.Error.Message);
    }

    [Fact]
    public void KernelTimestampWithNanosecondsOutOfRange_IsAnErrorNotASample()
    {
        var fake = VirtioOnX86();
        fake.Handlers[PtpRequests.SysOffsetExtended2] = argument =>
        {
            FillExtended(argument);
            FakePtpIoctl.As<PtpSysOffsetExtended>(argument).Timestamps[1].Nanoseconds = 1_000_000_000;
            return 0;
        };
        fake.Handlers[PtpRequests.SysOffsetExtended] = fake.Handlers[PtpRequests.SysOffsetExtended2];
        fake.Handlers.Remove(PtpRequests.SysOffset2);
        fake.Handlers.Remove(PtpRequests.SysOffset);
        using var phc = new LinuxPhc(TaiClock, fake);

        var reading = phc.Read(1);

        Assert.False(reading.IsOk);
        Assert.Contains("out of range", reading.Error!.Message);
    }

    [Fact]
    public void ReadWith_UsesExactlyThatMethod()
    {
        var fake = VirtioOnX86();
        using var phc = new LinuxPhc(TaiClock, fake);

        Assert.Equal(ClockErrorKind.NotSupported, phc.ReadWith(PtpReadMethod.Precise2, 1).Error!.Kind);
        Assert.Equal(ReadingMethod.Basic, phc.ReadWith(PtpReadMethod.SysOffset, 1).Value.Method);
        Assert.Null(phc.PtpMethod);
    }
}
