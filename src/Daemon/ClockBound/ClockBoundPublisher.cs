using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Clock.Linux;
using Sync.Daemon.Hosting;
using Sync.Filters.Status;

namespace Sync.Daemon.ClockBound;

/// <summary>
/// Publishes every snapshot of the sync loop into the ClockBound segment (<see cref="ClockBoundOptions.Path"/>):
/// as-of is CLOCK_MONOTONIC_COARSE when the snapshot arrives, the bound is the snapshot's. Status Unknown (void at
/// once) is written when the daemon stops. A segment that cannot be created is logged once and publishing is off:
/// applications then see no fresh bound, the clock is still steered.
/// </summary>
public sealed partial class ClockBoundPublisher(
    ClockBoundOptions options, ClockBoundPolicy policy, ISyncStatusProvider provider, IMonotonicCoarseClock monotonic,
    Func<ulong?> disruptionMarker, ILogger<ClockBoundPublisher> log) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private ClockBoundWriter? _writer;

    /// <summary>Publications written so far.</summary>
    public long Published { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _writer = ClockBoundWriter.Create(options.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCannotCreate(options.Path, e.Message);
            return Task.CompletedTask;
        }
        lock (_gate) Write(policy.Unknown(monotonic.Now(), disruptionMarker(), voidNow: false));
        provider.Updated += OnUpdated;
        LogPublishing(options.Path, options.MaxDriftPpm);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        provider.Updated -= OnUpdated;
        lock (_gate)
        {
            if (_writer is not null) Write(policy.Unknown(monotonic.Now(), disruptionMarker(), voidNow: true));
        }
        return Task.CompletedTask;
    }

    private void OnUpdated(SyncSnapshot snapshot)
    {
        lock (_gate)
        {
            if (_writer is null) return;
            // as-of after the snapshot: the bound was computed at snapshot.At, so the reader's aging starts no earlier.
            Write(policy.Next(snapshot, monotonic.Now(), disruptionMarker()));
        }
    }

    private void Write(in ClockBoundRecord record)
    {
        _writer!.Publish(record);
        Published++;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "publishing the error bound for ClockBound clients at {Path} (max drift {MaxDriftPpm} ppm)")]
    private partial void LogPublishing(string path, double maxDriftPpm);

    [LoggerMessage(Level = LogLevel.Warning, Message = "clockBound: cannot create {Path}: {Error}; no bound is published for ClockBound clients (set clockBound:path, or clockBound:enabled = false)")]
    private partial void LogCannotCreate(string path, string error);
}
