using Sync.Clock.Abstractions;

namespace Sync.Clock.Linux.VmClock;

/// <summary>
/// Reads consistent snapshots of the vmclock page: seq_count even and unchanged across the copy, else retry
/// (up to <see cref="MaxAttempts"/> times, then a Transient error). Validates magic, version and size.
/// </summary>
public sealed class VmClockReader(IVmClockPage page, string path = MappedVmClockPage.DefaultPath) : IDisposable
{
    public const int MaxAttempts = 1000;

    public static ClockResult<VmClockReader> Open(string path = MappedVmClockPage.DefaultPath)
    {
        var page = MappedVmClockPage.Open(path);
        return page.IsOk ? ClockResult<VmClockReader>.Ok(new VmClockReader(page.Value, path)) : page.Error!;
    }

    public ClockResult<VmClockSnapshot> Read()
    {
        Span<byte> copy = stackalloc byte[Math.Min(page.Length, VmClockLayout.FullSize)];
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var before = page.ReadSeqCount();
            if ((before & 1) != 0)
            {
                Thread.SpinWait(8);
                continue;
            }
            page.CopyTo(copy);
            if (page.ReadSeqCount() != before) continue;
            var snapshot = VmClockSnapshot.Parse(copy, out var problem);
            return snapshot is null
                ? new ClockError(ClockErrorKind.Other, "EINVAL", $"{path}: {problem}")
                : ClockResult<VmClockSnapshot>.Ok(snapshot with { SeqCount = before });
        }
        return new ClockError(ClockErrorKind.Transient, "EAGAIN", $"{path}: the hypervisor kept updating the page ({MaxAttempts} attempts)");
    }

    public void Dispose() => page.Dispose();
}
