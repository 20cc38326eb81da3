using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Tests.Linux;

/// <summary>
/// A kernel timex state in memory: modes = 0 reads it; writes apply the modes like the kernel and are logged. The leap
/// state machine is modelled as far as the kernel's quirk goes: STA_INS/STA_DEL from TIME_OK arm the leap (TIME_INS/TIME_DEL,
/// at once here, at the next second in the kernel); a step disarms it without leaving TIME_INS; STA_PLL on -> off resets to TIME_OK.
/// </summary>
internal sealed class FakeTimexSyscall(bool writesAllowed = true) : ITimexSyscall
{
    public Timex State = new() { Tick = 10_000, Status = TimexFlags.StaUnsync | TimexFlags.StaNano, MaxError = 16_000_000, EstError = 16_000_000 };
    public int ClockState { get; set; }
    public int WriteErrno { get; set; }
    public List<Timex> Calls { get; } = [];
    public long RealtimeNs { get; set; } = 1_764_000_000_000_000_000;
    public long StepsAppliedNs { get; private set; }
    public bool LeapArmed { get; private set; }

    public bool WritesAllowed { get; } = writesAllowed;

    public int ClockAdjtime(ref Timex timex, out int errno)
    {
        Calls.Add(timex);
        errno = 0;
        if (timex.Modes != 0)
        {
            if (WriteErrno != 0)
            {
                errno = WriteErrno;
                return -1;
            }
            if ((timex.Modes & TimexFlags.AdjFrequency) != 0) State.Freq = timex.Freq;
            if ((timex.Modes & TimexFlags.AdjTick) != 0) State.Tick = timex.Tick;
            if ((timex.Modes & TimexFlags.AdjMaxError) != 0) State.MaxError = timex.MaxError;
            if ((timex.Modes & TimexFlags.AdjEstError) != 0) State.EstError = timex.EstError;
            if ((timex.Modes & TimexFlags.AdjSetOffset) != 0)
            {
                StepsAppliedNs += timex.TimeSeconds * 1_000_000_000 + timex.TimeFraction;
                LeapArmed = false;
            }
            if ((timex.Modes & TimexFlags.AdjStatus) != 0)
            {
                if ((State.Status & TimexFlags.StaPll) != 0 && (timex.Status & TimexFlags.StaPll) == 0)
                {
                    ClockState = 0;
                    LeapArmed = false;
                }
                State.Status = (State.Status & TimexFlags.StaReadOnly) | (timex.Status & ~TimexFlags.StaReadOnly);
                if (ClockState == 0 && (State.Status & (TimexFlags.StaIns | TimexFlags.StaDel)) != 0)
                {
                    ClockState = (State.Status & TimexFlags.StaIns) != 0 ? 1 : 2;
                    LeapArmed = true;
                }
            }
            if ((timex.Modes & TimexFlags.AdjTai) != 0) State.Tai = (int)timex.Constant;
        }
        timex = State;
        return ClockState;
    }

    public int ReadRealtime(out long nanoseconds)
    {
        nanoseconds = RealtimeNs;
        return 0;
    }
}
