using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Linux;

public class TimexEncodingTests
{
    [Theory]
    [InlineData(0.0, 10_000, 0L)]
    [InlineData(12.5, 10_000, 819_200L)]
    [InlineData(-500.0, 10_000, -32_768_000L)]
    [InlineData(500.0, 10_000, 32_768_000L)]
    [InlineData(501.0, 10_005, 65_536L)]
    [InlineData(1234.5, 10_012, 2_260_992L)]
    [InlineData(-1234.5, 9_988, -2_260_992L)]
    [InlineData(100_500.0, 11_000, 32_768_000L)]
    [InlineData(-100_500.0, 9_000, -32_768_000L)]
    [InlineData(-650.0, 9_993, 3_276_800L)]
    public void Frequency_SplitsIntoTickAndFreq(double ppm, long tick, long freq)
    {
        var (actualTick, actualFreq) = TimexEncoding.SplitFrequency(ppm);

        Assert.Equal(tick, actualTick);
        Assert.Equal(freq, actualFreq);
        Assert.InRange(actualFreq, -32_768_000L, 32_768_000L);
        Assert.Equal(ppm, TimexEncoding.CombinedFrequencyPpm(actualFreq, actualTick), 6);
    }

    [Theory]
    [InlineData(1_500_000_000L, 1L, 500_000_000L)]
    [InlineData(-1_500_000_000L, -2L, 500_000_000L)]
    [InlineData(-1L, -1L, 999_999_999L)]
    [InlineData(-1_000_000_000L, -1L, 0L)]
    [InlineData(0L, 0L, 0L)]
    [InlineData(999_999_999L, 0L, 999_999_999L)]
    [InlineData(-37_000_000_001L, -38L, 999_999_999L)]
    public void Step_IsNormalisedToNonNegativeNanoseconds(long stepNs, long seconds, long nanoseconds)
    {
        Assert.Equal((seconds, nanoseconds), TimexEncoding.NormaliseStep(stepNs));
    }

    [Fact]
    public void Encode_Step_UsesSetOffsetAndNano()
    {
        var timex = TimexEncoding.Encode(new ClockCommand { Step = Duration.FromMilliseconds(-2500) }, 0).Value;

        Assert.Equal(TimexFlags.AdjSetOffset | TimexFlags.AdjNano, timex.Modes);
        Assert.Equal(-3, timex.TimeSeconds);
        Assert.Equal(500_000_000, timex.TimeFraction);
    }

    [Fact]
    public void EveryWriteCarriesAdjNano_AndStaNanoIsReadBack()
    {
        // STA_NANO stays set while we steer, so another program's ADJ_MICRO (chronyd's first write) shows as a change.
        foreach (var command in new[]
                 {
                     new ClockCommand { FrequencyPpm = 1 }, new ClockCommand { MaxError = Duration.FromMicroseconds(5) },
                     new ClockCommand { Status = ClockStatus.None }, new ClockCommand { Step = Duration.FromSeconds(1) },
                 })
            Assert.NotEqual(0u, TimexEncoding.Encode(command, 0).Value.Modes & TimexFlags.AdjNano);
        Assert.True(TimexEncoding.Decode(new Timex { Status = TimexFlags.StaNano }).NanosecondUnits);
        Assert.False(TimexEncoding.Decode(new Timex { Status = TimexFlags.StaUnsync }).NanosecondUnits);
    }

    [Fact]
    public void Encode_Status_KeepsForeignBits_SetsOwnedOnes_PllAlwaysOff()
    {
        var current = TimexFlags.StaPll | TimexFlags.StaFll | TimexFlags.StaPpsFreq | TimexFlags.StaFreqHold | TimexFlags.StaUnsync | TimexFlags.StaNano;

        var timex = TimexEncoding.Encode(new ClockCommand { Status = ClockStatus.InsertLeap | ClockStatus.KernelDiscipline }, current).Value;

        Assert.Equal(TimexFlags.AdjStatus | TimexFlags.AdjNano, timex.Modes);
        Assert.Equal(TimexFlags.StaFll | TimexFlags.StaPpsFreq | TimexFlags.StaFreqHold | TimexFlags.StaIns, timex.Status);
    }

    [Fact]
    public void Encode_ErrorsInMicroseconds_MaxErrorRoundedUp()
    {
        var timex = TimexEncoding.Encode(new ClockCommand
        {
            MaxError = Duration.FromNanoseconds(10_001),
            EstimatedError = Duration.FromNanoseconds(2_499),
        }, 0).Value;

        Assert.Equal(TimexFlags.AdjMaxError | TimexFlags.AdjEstError | TimexFlags.AdjNano, timex.Modes);
        Assert.Equal(11, timex.MaxError);
        Assert.Equal(2, timex.EstError);
    }

    [Fact]
    public void Encode_TaiOffset_GoesIntoConstant()
    {
        var timex = TimexEncoding.Encode(new ClockCommand { TaiOffsetSeconds = 37 }, 0).Value;

        Assert.Equal(TimexFlags.AdjTai | TimexFlags.AdjNano, timex.Modes);
        Assert.Equal(37, timex.Constant);
    }

    [Fact]
    public void Encode_Frequency_AlwaysSetsTickToo()
    {
        var timex = TimexEncoding.Encode(new ClockCommand { FrequencyPpm = 3.0 }, 0).Value;

        Assert.Equal(TimexFlags.AdjFrequency | TimexFlags.AdjTick | TimexFlags.AdjNano, timex.Modes);
        Assert.Equal(10_000, timex.Tick);
        Assert.Equal(196_608, timex.Freq);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(100_501.0)]
    [InlineData(-200_000.0)]
    public void Encode_RejectsImpossibleFrequencies(double ppm)
    {
        Assert.Equal(ClockErrorKind.InvalidArgument, TimexEncoding.Encode(new ClockCommand { FrequencyPpm = ppm }, 0).Error!.Kind);
    }

    [Fact]
    public void Encode_RejectsBadValues()
    {
        Assert.False(TimexEncoding.Encode(new ClockCommand { Status = ClockStatus.InsertLeap | ClockStatus.DeleteLeap }, 0).IsOk);
        Assert.False(TimexEncoding.Encode(new ClockCommand { TaiOffsetSeconds = -1 }, 0).IsOk);
        Assert.False(TimexEncoding.Encode(new ClockCommand { MaxError = Duration.FromNanoseconds(-1) }, 0).IsOk);
    }

    [Fact]
    public void Decode_CombinesFreqAndTick_AndConvertsUnits()
    {
        var timex = new Timex { Freq = -65_536 * 20, Tick = 10_010, MaxError = 1_500, EstError = 20, Status = TimexFlags.StaIns | TimexFlags.StaNano, Tai = 37 };

        var state = TimexEncoding.Decode(timex);

        Assert.Equal(980.0, state.FrequencyPpm, 9);
        Assert.Equal(Duration.FromMicroseconds(1500), state.MaxError);
        Assert.Equal(Duration.FromMicroseconds(20), state.EstimatedError);
        Assert.Equal(ClockStatus.InsertLeap, state.Status); // STA_NANO is the edge's business

        Assert.Equal(37, state.TaiOffsetSeconds);
    }

    [Theory]
    [InlineData(0, KernelTimeState.Ok)]
    [InlineData(1, KernelTimeState.InsertingLeap)]
    [InlineData(3, KernelTimeState.LeapInProgress)]
    [InlineData(5, KernelTimeState.Error)]
    [InlineData(6, KernelTimeState.Error)]
    public void TimeState_DecodesClockAdjtimesReturnValue(int returned, KernelTimeState expected) =>
        Assert.Equal(expected, TimexEncoding.TimeState(returned));

    [Fact]
    public void Describe_NamesTheCall()
    {
        var timex = TimexEncoding.Encode(new ClockCommand { FrequencyPpm = 1.5, Step = Duration.FromNanoseconds(-1) }, 0).Value;

        var text = TimexEncoding.Describe(timex);

        Assert.Contains("ADJ_FREQUENCY|ADJ_SETOFFSET|ADJ_NANO|ADJ_TICK", text);
        Assert.Contains("freq=98304", text);
        Assert.Contains("tv_sec=-1, tv_usec=999999999", text);
    }

    [Theory]
    [InlineData(0, ClockStatus.None)]
    [InlineData(TimexFlags.StaUnsync | TimexFlags.StaNano, ClockStatus.Unsynchronized)]
    [InlineData(TimexFlags.StaIns, ClockStatus.InsertLeap)]
    [InlineData(TimexFlags.StaDel | TimexFlags.StaUnsync, ClockStatus.DeleteLeap | ClockStatus.Unsynchronized)]
    [InlineData(TimexFlags.StaPll, ClockStatus.KernelDiscipline)]
    [InlineData(TimexFlags.StaFll | TimexFlags.StaPpsFreq, ClockStatus.KernelDiscipline)]
    [InlineData(TimexFlags.StaFreqHold, ClockStatus.KernelDiscipline)]
    public void TheKernelsStatusBitsAreTranslatedAtTheEdge(int bits, ClockStatus status)
    {
        Assert.Equal(status, TimexEncoding.FromStatusBits(bits));
        Assert.Equal(status, TimexEncoding.FromStatusBits(TimexEncoding.ToStatusBits(status)));
    }
}
