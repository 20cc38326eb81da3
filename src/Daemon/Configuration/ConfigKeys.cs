namespace Sync.Daemon.Configuration;

/// <summary>
/// Every configuration key, declared once: name, type, default, allowed values, unit and doc line. This table
/// drives parsing and validation (<see cref="OptionsReader"/>), the defaults of the options records, `--help`,
/// the key table in docs/operations.md (ConfigKeyTableTests keeps them equal) and the error messages.
/// The sections are declared in ConfigKeys.Sources.cs, .Discipline.cs, .Serve.cs and .Outputs.cs. To add a key:
/// declare it in its section, add it to <see cref="All"/>, give the options record a property initialised from the
/// key's Default, and regenerate the docs table (see /work/notes/config-table.md).
/// </summary>
public static partial class ConfigKeys
{
    /// <summary>Every key, in the order of the docs table and `--help`.</summary>
    public static readonly IReadOnlyList<ConfigKey> All =
    [
        Sources.Clocks, Sources.ReadIntervalSeconds, Sources.ReadTimeoutMs, Sources.ReadRetries, Sources.CircuitBreakSeconds, Sources.ReattachIntervalSeconds, Sources.SamplesPerReading, Sources.Filter, Sources.Estimator,
        Sources.LeapSecondsFile, Sources.Combine, Sources.Calibration, Sources.StalledWindowRatio, Sources.StalledRunLimit, Sources.HoldoverDriftPpbPerS,
        Discipline.MakestepThresholdSeconds, Discipline.MakestepLimit, Discipline.MaxSlewRatePpm, Discipline.LeapPolicy, Discipline.WriteEnabled,
        Discipline.ForeignWriterQuietSeconds,
        Serve.SocketPath, Serve.SocketRole, Serve.StateDirectory, Serve.Clocks, Serve.SmearVariant, Serve.Alarms, Serve.MaxConnections,
        Serve.HandshakeTimeoutSeconds, Serve.IdleTimeoutSeconds, Serve.RealtimePriority, Serve.SocketGroup, Serve.SocketMode,
        Simulated.OffsetMs, Simulated.RatePpm, Simulated.RateAfterSeconds, Simulated.StepMs, Simulated.StepAfterSeconds, Simulated.Scale,
        Simulated.LeapAtUtc, Simulated.EpochUnixSeconds,
        Metrics.Enabled, Metrics.Listen,
        Status.Enabled, Status.SocketPath,
        Systemd.ReadyTimeoutSeconds, Systemd.StatusIntervalSeconds,
        Logging.Level, Logging.Format,
        Chrony.Enabled, Chrony.SocketPath,
        ClockBound.Enabled, ClockBound.Path, ClockBound.MaxDriftPpm,
    ];

    /// <summary>The sections, in table order.</summary>
    public static IReadOnlyList<string> Sections => All.Select(k => k.Section).Distinct().ToList();

    /// <summary>The key owning a leaf of the configuration (any case), or null for an unknown key.</summary>
    public static ConfigKey? Find(string key) => All.FirstOrDefault(k => k.Owns(key));

    /// <summary>The key table of docs/operations.md.</summary>
    public static string MarkdownTable()
    {
        var w = new System.Text.StringBuilder();
        w.Append("| key | type | default | allowed | unit | meaning |\n");
        w.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var k in All)
            w.Append($"| {Cell(k.Name)} | {Cell(k.Type)} | {Cell(DefaultCell(k))} | {Cell(k.AllowedText)} | {Cell(k.Unit)} | {Cell(k.Doc)} |\n");
        return w.ToString();

        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
    }

    /// <summary>The default as the docs table and `--help` show it: "9 (chrony mode: 25)" for a key with a mode default.</summary>
    public static string DefaultCell(ConfigKey k) =>
        Chrony.ModeDefaultOf(k) is { } d ? $"{k.DefaultText} (chrony mode: {d.Value})" : k.DefaultText;

    /// <summary>The key lines of `--help`.</summary>
    public static string HelpLines()
    {
        var w = new System.Text.StringBuilder();
        foreach (var k in All)
        {
            var unit = k.Unit.Length > 0 ? " " + k.Unit : "";
            w.Append($"  {k.Name,-38} {DefaultCell(k)}{unit} ({k.AllowedText}): {k.Doc}\n");
        }
        return w.ToString();
    }
}
