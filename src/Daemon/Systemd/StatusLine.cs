using Sync.Daemon.Status;
using Sync.Filters.Status;

namespace Sync.Daemon.Systemd;

/// <summary>The one-line STATUS= text systemctl shows, e.g. "tracking /dev/ptp_virtio_tai: offset +120ns, bound 2400ns".</summary>
public static class StatusLine
{
    public static string For(SyncSnapshot s)
    {
        var state = StatusDocument.StateName(s.State);
        var source = s.SelectedSource is null ? "" : $" {s.SelectedSource}";
        var offset = s.LastOffset is { } o ? StatusRenderer.Short(o.TotalSeconds, true) : "unknown";
        return $"{state}{source}: offset {offset}, bound {StatusRenderer.Short(s.ErrorBound.TotalSeconds, false)}";
    }
}
