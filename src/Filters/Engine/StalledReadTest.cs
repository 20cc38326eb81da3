using System.Globalization;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The delay test (<see cref="SyncEngineOptions.StalledWindowRatio"/>): a filtered sample whose window is more than
/// the ratio times its source's typical window is a stalled read and is left out. After
/// <see cref="SyncEngineOptions.StalledRunLimit"/> in a row the typical window is forgotten (the path changed) and
/// samples are used again. A used sample's window joins the typical.
/// </summary>
internal sealed class StalledReadTest(SyncEngineOptions options)
{
    /// <summary>A source's typical window is the median of at least this many of its used samples.</summary>
    private const int TypicalWindowSamples = 8;

    /// <summary>True when the sample (of this window) is left out; the source's last failure then says why.</summary>
    public bool LeavesOut(SourceState source, Duration window)
    {
        var windows = source.RecentWindowsNs;
        if (options.StalledWindowRatio > 0 && windows.Count >= TypicalWindowSamples)
        {
            var typical = Median(windows);
            if (window.Nanoseconds > options.StalledWindowRatio * typical)
            {
                if (source.StalledRun < options.StalledRunLimit)
                {
                    source.StalledRun++;
                    source.StalledSamples++;
                    source.LastFailure = string.Create(CultureInfo.InvariantCulture,
                        $"stalled read left out: window {window.Nanoseconds / 1e3:0.#} us is more than {options.StalledWindowRatio:0.##} x the typical {typical / 1e3:0.#} us");
                    return true;
                }
                windows.Clear();
            }
        }
        source.StalledRun = 0;
        windows.Enqueue(window.Nanoseconds);
        while (windows.Count > Math.Max(TypicalWindowSamples, options.AsymmetryMemory))
            windows.Dequeue();
        return false;
    }

    private static double Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + (double)sorted[mid]) / 2;
    }
}
