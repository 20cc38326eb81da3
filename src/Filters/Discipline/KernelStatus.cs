namespace Sync.Filters.Discipline;

/// <summary>The timex status bits the discipline controls; values are the kernel's.</summary>
[Flags]
public enum KernelStatus
{
    None = 0,
    Pll = 0x0001,
    InsertLeap = 0x0010,
    DeleteLeap = 0x0020,
    Unsynchronized = 0x0040,
    FrequencyHold = 0x0080,
    Nano = 0x2000,
}
