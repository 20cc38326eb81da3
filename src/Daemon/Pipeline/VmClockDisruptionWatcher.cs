using Sync.Clock.Abstractions;
using Sync.Clock.Linux.VmClock;

namespace Sync.Daemon.Pipeline;

/// <summary>A change of vmclock's disruption marker (or of its VM generation counter) between two reads.</summary>
public readonly record struct VmClockDisruption(ulong PreviousMarker, ulong Marker, ulong? PreviousGeneration, ulong? Generation);

/// <summary>
/// Reads the hypervisor's vmclock page (/dev/vmclock0 where the VM has the device) once per loop step and reports
/// when its disruption marker or VM generation counter changed since the previous read: the hypervisor restored the VM
/// from a snapshot or migrated it, so the guest's clock may have jumped and its counter's rate changed. The loop acts
/// on it (<see cref="ISyncPipeline.OnDisruption"/>) before it reads the PHC in that step, so the daemon reacts within
/// one read interval even when the next sample does not show the jump yet. A failed read reports nothing.
/// </summary>
public sealed class VmClockDisruptionWatcher(Func<ClockResult<VmClockSnapshot>> read)
{
    private VmClockSnapshot? _last;

    /// <summary>Disruptions seen since start.</summary>
    public long Disruptions { get; private set; }

    /// <summary>The marker last read (null before a good read).</summary>
    public ulong? Marker => _last?.DisruptionMarker;

    /// <summary>The last read's error, or null when it worked.</summary>
    public ClockError? LastError { get; private set; }

    /// <summary>The watcher on /dev/vmclock0, or null (with the reason) when the VM has no vmclock device.</summary>
    public static VmClockDisruptionWatcher? Open(out ClockError? error, string path = MappedVmClockPage.DefaultPath)
    {
        var reader = VmClockReader.Open(path);
        error = reader.Error;
        return reader.IsOk ? new VmClockDisruptionWatcher(reader.Value.Read) : null;
    }

    /// <summary>Reads the page; the disruption when the marker or generation changed since the last good read.</summary>
    public VmClockDisruption? Poll()
    {
        var result = read();
        LastError = result.Error;
        if (!result.IsOk)
            return null;
        var now = result.Value;
        var before = _last;
        _last = now;
        if (before is null || !now.IsDisruptedSince(before))
            return null;
        Disruptions++;
        return new VmClockDisruption(before.DisruptionMarker, now.DisruptionMarker, before.VmGenerationCounter, now.VmGenerationCounter);
    }
}
