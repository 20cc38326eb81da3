using System.Globalization;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// Maps a <see cref="ClockCommand"/> to one struct timex and a timex back to <see cref="KernelClockState"/>.
/// Frequency: within +-500 ppm it goes to freq alone (tick stays at 10000, so tools reading only freq stay true);
/// beyond, like chrony, tick = 10000 + round(ppm / 100) (each µs of tick is 100 ppm, 9000..11000) and freq takes
/// the remainder. Steps: ADJ_SETOFFSET with tv_sec = floor(step) and the nanoseconds field in [0, 1e9). Every
/// write carries ADJ_NANO, so STA_NANO stays set while we steer and another program's ADJ_MICRO shows (see
/// <see cref="KernelClockState.NanosecondUnits"/>). Status: STA_UNSYNC/STA_INS/STA_DEL from the command, STA_PLL always off, every other writable bit
/// kept as it is. maxerror/esterror in µs (maxerror rounded up). TAI offset: ADJ_TAI with the value in
/// `constant` (that is where the kernel reads it).
/// </summary>
public static class TimexEncoding
{
    public const long NominalTickUs = 10_000;
    public const long MinTickUs = 9_000;
    public const long MaxTickUs = 11_000;
    public const double PpmPerTickUs = 100;
    public const double FreqUnitsPerPpm = 65_536;
    public const double MaxFreqPpm = 500;
    public const int MaxTaiOffsetSeconds = 100_000;
    /// <summary>NTP_PHASE_LIMIT: the kernel caps maxerror at 16 s.</summary>
    public const long MaxErrorLimitUs = 16_000_000;

    private const int OwnedStatusBits = TimexFlags.StaPll | TimexFlags.StaIns | TimexFlags.StaDel | TimexFlags.StaUnsync;

    /// <summary>Total frequency correction (ppm, positive = faster) -> (tick µs, freq in 2^-16 ppm).</summary>
    public static (long TickUs, long Freq) SplitFrequency(double ppm)
    {
        var tickDelta = Math.Abs(ppm) <= MaxFreqPpm ? 0 : (long)Math.Clamp(Math.Round(ppm / PpmPerTickUs, MidpointRounding.AwayFromZero), MinTickUs - NominalTickUs, MaxTickUs - NominalTickUs);
        var remainderPpm = ppm - tickDelta * PpmPerTickUs;
        var freq = (long)Math.Round(Math.Clamp(remainderPpm, -MaxFreqPpm, MaxFreqPpm) * FreqUnitsPerPpm);
        return (NominalTickUs + tickDelta, freq);
    }

    public static double CombinedFrequencyPpm(long freq, long tickUs) =>
        freq / FreqUnitsPerPpm + (tickUs - NominalTickUs) * PpmPerTickUs;

    /// <summary>A step in ns as timeval seconds and nanoseconds with nanoseconds in [0, 1e9): -1.5 s = (-2, 500000000).</summary>
    public static (long Seconds, long Nanoseconds) NormaliseStep(long stepNs)
    {
        var seconds = Math.DivRem(stepNs, Duration.NanosecondsPerSecond, out var nanoseconds);
        if (nanoseconds < 0)
        {
            seconds--;
            nanoseconds += Duration.NanosecondsPerSecond;
        }
        return (seconds, nanoseconds);
    }

    /// <summary>The kernel's own discipline modes: a program using the kernel PLL/FLL/PPS sets them, virtsync never.</summary>
    public const int KernelDisciplineBits = TimexFlags.StaPll | TimexFlags.StaPpsFreq | TimexFlags.StaPpsTime | TimexFlags.StaFll | TimexFlags.StaFreqHold;

    /// <summary>The core's status as STA_* bits.</summary>
    public static int ToStatusBits(ClockStatus status) =>
        (status.HasFlag(ClockStatus.Unsynchronized) ? TimexFlags.StaUnsync : 0)
        | (status.HasFlag(ClockStatus.InsertLeap) ? TimexFlags.StaIns : 0)
        | (status.HasFlag(ClockStatus.DeleteLeap) ? TimexFlags.StaDel : 0)
        | (status.HasFlag(ClockStatus.KernelDiscipline) ? TimexFlags.StaPll : 0);

    /// <summary>The kernel's STA_* bits in the core's words (bits it has no word for, e.g. STA_NANO, are dropped).</summary>
    public static ClockStatus FromStatusBits(int bits) =>
        ((bits & TimexFlags.StaUnsync) != 0 ? ClockStatus.Unsynchronized : ClockStatus.None)
        | ((bits & TimexFlags.StaIns) != 0 ? ClockStatus.InsertLeap : ClockStatus.None)
        | ((bits & TimexFlags.StaDel) != 0 ? ClockStatus.DeleteLeap : ClockStatus.None)
        | ((bits & KernelDisciplineBits) != 0 ? ClockStatus.KernelDiscipline : ClockStatus.None);

    /// <summary>The status word to write: owned bits from desired (STA_PLL off), other writable bits from current.</summary>
    public static int MergeStatus(int currentStatus, ClockStatus desired)
    {
        var wanted = ToStatusBits(desired) & (TimexFlags.StaIns | TimexFlags.StaDel | TimexFlags.StaUnsync);
        return (currentStatus & ~OwnedStatusBits & ~TimexFlags.StaReadOnly) | wanted;
    }

    /// <summary>The timex for one clock_adjtime call; currentStatus (from a modes = 0 read) matters only with Status.</summary>
    public static ClockResult<Timex> Encode(ClockCommand command, int currentStatus)
    {
        var timex = new Timex();
        if (command.FrequencyPpm is { } ppm)
        {
            if (!double.IsFinite(ppm) || Math.Abs(ppm) > ClockCommand.MaxFrequencyPpm)
                return Invalid($"frequency {ppm} ppm is outside +-{ClockCommand.MaxFrequencyPpm} ppm");
            (timex.Tick, timex.Freq) = SplitFrequency(ppm);
            timex.Modes |= TimexFlags.AdjFrequency | TimexFlags.AdjTick;
        }
        if (command.Step is { } step)
        {
            (timex.TimeSeconds, timex.TimeFraction) = NormaliseStep(step.Nanoseconds);
            timex.Modes |= TimexFlags.AdjSetOffset;
        }
        if (command.Status is { } status)
        {
            if ((status & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap)) == (ClockStatus.InsertLeap | ClockStatus.DeleteLeap))
                return Invalid("STA_INS and STA_DEL cannot both be set");
            timex.Status = MergeStatus(currentStatus, status);
            timex.Modes |= TimexFlags.AdjStatus;
        }
        if (command.MaxError is { } maxError)
        {
            if (maxError < Duration.Zero) return Invalid($"maxerror {maxError} is negative");
            timex.MaxError = Math.Min(CeilingMicroseconds(maxError.Nanoseconds), MaxErrorLimitUs);
            timex.Modes |= TimexFlags.AdjMaxError;
        }
        if (command.EstimatedError is { } estError)
        {
            if (estError < Duration.Zero) return Invalid($"esterror {estError} is negative");
            timex.EstError = Math.Min((estError.Nanoseconds + 500) / 1000, MaxErrorLimitUs);
            timex.Modes |= TimexFlags.AdjEstError;
        }
        if (command.TaiOffsetSeconds is { } tai)
        {
            if (tai is < 0 or > MaxTaiOffsetSeconds) return Invalid($"TAI offset {tai} s is outside 0..{MaxTaiOffsetSeconds}");
            timex.Constant = tai;
            timex.Modes |= TimexFlags.AdjTai;
        }
        if (timex.Modes != 0)
            timex.Modes |= TimexFlags.AdjNano;
        return ClockResult<Timex>.Ok(timex);
    }

    public static KernelClockState Decode(in Timex timex) => new(
        CombinedFrequencyPpm(timex.Freq, timex.Tick),
        Duration.FromNanoseconds(timex.MaxError * 1000),
        Duration.FromNanoseconds(timex.EstError * 1000),
        FromStatusBits(timex.Status),
        timex.Tai)
    {
        PllOffset = Duration.FromNanoseconds((timex.Status & TimexFlags.StaNano) != 0 ? timex.Offset : timex.Offset * 1000),
        NanosecondUnits = (timex.Status & TimexFlags.StaNano) != 0,
    };

    /// <summary>clock_adjtime's return value (>= 0) as the kernel's time state; an unknown value is TIME_ERROR.</summary>
    public static KernelTimeState TimeState(int returned) =>
        returned is >= 0 and <= 5 ? (KernelTimeState)returned : KernelTimeState.Error;

    /// <summary>The call as text, naming only the fields the modes make the kernel read.</summary>
    public static string Describe(in Timex timex)
    {
        var parts = new List<string> { $"modes={TimexFlags.DescribeModes(timex.Modes)}" };
        var inv = CultureInfo.InvariantCulture;
        if ((timex.Modes & TimexFlags.AdjFrequency) != 0)
            parts.Add(string.Create(inv, $"freq={timex.Freq} ({timex.Freq / FreqUnitsPerPpm:0.######} ppm)"));
        if ((timex.Modes & TimexFlags.AdjTick) != 0) parts.Add(string.Create(inv, $"tick={timex.Tick}"));
        if ((timex.Modes & TimexFlags.AdjSetOffset) != 0)
            parts.Add(string.Create(inv, $"time={{tv_sec={timex.TimeSeconds}, tv_usec={timex.TimeFraction}}}"));
        if ((timex.Modes & TimexFlags.AdjStatus) != 0) parts.Add(string.Create(inv, $"status=0x{timex.Status:X4}"));
        if ((timex.Modes & TimexFlags.AdjMaxError) != 0) parts.Add(string.Create(inv, $"maxerror={timex.MaxError} us"));
        if ((timex.Modes & TimexFlags.AdjEstError) != 0) parts.Add(string.Create(inv, $"esterror={timex.EstError} us"));
        if ((timex.Modes & TimexFlags.AdjTai) != 0) parts.Add(string.Create(inv, $"constant(tai)={timex.Constant}"));
        return $"clock_adjtime(CLOCK_REALTIME, {{{string.Join(", ", parts)}}})";
    }

    private static long CeilingMicroseconds(long ns) => ns / 1000 + (ns % 1000 > 0 ? 1 : 0);

    private static ClockError Invalid(string message) => ClockErrors.InvalidArgument(message);
}
