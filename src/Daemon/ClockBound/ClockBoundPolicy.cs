using Sync.Filters.Discipline;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.ClockBound;

/// <summary>
/// Turns the loop's snapshots into ClockBound records (no I/O). The bound is the snapshot's error bound at the
/// moment it was taken (the estimator's bound grown to now plus what is left to slew, the value written to the kernel
/// as maxerror). Status: Tracking -> Synchronized, Holdover -> FreeRunning, Recovery (a step or frequency jump was
/// detected) -> Disrupted, Acquiring or a kernel "unsynchronized" -> Unknown. When the vmclock disruption marker
/// changes, the status is Disrupted until <see cref="SamplesAfterDisruption"/> new samples have been taken.
/// </summary>
public sealed class ClockBoundPolicy(ClockBoundOptions options, Duration readInterval, Duration readTimeout)
{
    /// <summary>New samples (4 s at the default read interval) after a vmclock disruption before Synchronized again.</summary>
    public const int SamplesAfterDisruption = 16;

    /// <summary>The shortest validity of a publication: a stalled or dead daemon's bound goes void after this.</summary>
    public static readonly Duration MinimumValidity = Duration.FromSeconds(10);

    private ulong? _marker;
    private long? _samplesAtDisruption;

    /// <summary>
    /// How long a publication stays valid: the loop publishes at every read, so three missed reads plus a read that
    /// timed out, at least <see cref="MinimumValidity"/>. In holdover the loop keeps publishing (FreeRunning).
    /// </summary>
    public Duration Validity => Duration.Max(MinimumValidity, readInterval * 3 + readTimeout);

    /// <summary>What to publish before the first snapshot, and after the daemon stops (void at once).</summary>
    public ClockBoundRecord Unknown(Instant<Monotonic> asOf, ulong? disruptionMarker, bool voidNow) => new(
        asOf, voidNow ? asOf : asOf + Validity, Duration.FromSeconds(16), disruptionMarker ?? 0, options.MaxDriftPpb,
        ClockBoundStatus.Unknown, disruptionMarker is not null);

    public ClockBoundRecord Next(SyncSnapshot snapshot, Instant<Monotonic> asOf, ulong? disruptionMarker)
    {
        var samples = snapshot.Sources.Sum(s => s.Samples);
        if (disruptionMarker is { } marker)
        {
            if (_marker is { } previous && previous != marker) _samplesAtDisruption = samples;
            _marker = marker;
        }
        if (_samplesAtDisruption is { } start && samples - start >= SamplesAfterDisruption) _samplesAtDisruption = null;

        var status = snapshot.State switch
        {
            _ when snapshot.LeapStatus.HasFlag(ClockStatus.Unsynchronized) => ClockBoundStatus.Unknown,
            SyncState.Acquiring => ClockBoundStatus.Unknown,
            _ when _samplesAtDisruption is not null => ClockBoundStatus.Disrupted,
            SyncState.Tracking => ClockBoundStatus.Synchronized,
            SyncState.Holdover => ClockBoundStatus.FreeRunning,
            SyncState.Recovery => ClockBoundStatus.Disrupted,
            _ => ClockBoundStatus.Unknown,
        };
        return new ClockBoundRecord(asOf, asOf + Validity, Duration.Max(snapshot.ErrorBound, Duration.Zero), disruptionMarker ?? 0,
            options.MaxDriftPpb, status, disruptionMarker is not null);
    }
}
