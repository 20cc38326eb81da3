using System.Globalization;
using System.Text;

namespace Sync.Daemon.Status;

/// <summary>Lays a <see cref="StatusDocument"/> out like `chronyc tracking` followed by `chronyc sources`.</summary>
public static class StatusRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(StatusDocument s)
    {
        var b = new StringBuilder();
        var selected = s.Sources.FirstOrDefault(x => x.Selected);
        Line(b, "Reference", s.SelectedSource is null ? "(none)" : selected is null ? s.SelectedSource : $"{selected.Path} ({selected.Type}{VariantSuffix(selected)})");
        Line(b, "Ref time (UTC)", RefTime(s.AtUnixNanoseconds));
        Line(b, "System time", s.LastOffsetSeconds is { } off
            ? $"{Math.Abs(off).ToString("0.000000000", Inv)} seconds {(off >= 0 ? "fast" : "slow")} of reference"
            : "unknown");
        Line(b, "Last offset", s.LastOffsetSeconds is { } last ? $"{Signed(last, "0.000000000")} seconds" : "unknown");
        Line(b, "RMS offset", $"{s.RmsOffsetSeconds.ToString("0.000000000", Inv)} seconds");
        Line(b, "Frequency", $"{Signed(s.FrequencyPpm, "0.000")} ppm (correction)");
        Line(b, "Residual freq", $"{Signed(s.ResidualFrequencyPpm, "0.000")} ppm");
        Line(b, "Skew", $"{s.SkewPpm.ToString("0.000", Inv)} ppm");
        Line(b, "Error bound", $"{s.ErrorBoundSeconds.ToString("0.000000000", Inv)} seconds");
        Line(b, "Update interval", $"{s.UpdateIntervalSeconds.ToString("0.000", Inv)} seconds");
        Line(b, "Leap status", LeapText(s.LeapStatus));
        Line(b, "TAI offset", $"{s.TaiOffsetSeconds} seconds" + s.ObservedTaiMinusUtcSeconds switch
        {
            null => "",
            { } seen when s.ObservedTaiMinusUtcDisagreesWithTable && seen == s.TaiOffsetSeconds =>
                " (from the device: the leap table has expired and says otherwise)",
            { } seen when s.ObservedTaiMinusUtcDisagreesWithTable =>
                $" (the device shows {seen} s: it DISAGREES with the leap table, whose value is used)",
            { } seen => $" (the device shows {seen} s)",
        });
        Line(b, "Steps", s.Steps.ToString(Inv) + (s.StepsByReason.Any(x => x.Value > 0)
            ? " (" + string.Join(", ", s.StepsByReason.Where(x => x.Value > 0).Select(x => $"{x.Key} {x.Value.ToString(Inv)}")) + ")"
            : ""));
        if (s.Jumps > 0) Line(b, "Clock jumps", s.Jumps.ToString(Inv));
        if (s.ForeignWriterDetections > 0) Line(b, "Other writers", s.ForeignWriterDetections.ToString(Inv) + " times another program steered the clock");
        if (s.VmClockMarker is { } marker)
            Line(b, "VM clock", $"disruption marker {marker.ToString(Inv)}, {s.VmClockDisruptions.ToString(Inv)} disruptions since start (snapshot restore, migration)");
        Line(b, "State", s.State);
        if (s.NoMajority)
            Line(b, "Selection", "NO MAJORITY: the clocks disagree beyond their bounds and none is backed by a majority; "
                + $"following {s.SelectedSource ?? "(none)"} (the one followed before, else the narrowest)");
        if (s.Chrony is { } agent)
        {
            Line(b, "chrony agent", (agent.DryRun ? "dry run, sending nothing" : agent.Feeding ? "feeding yes" : "feeding NO")
                + $", {agent.SamplesSent.ToString(Inv)} sent, {agent.SamplesDropped.ToString(Inv)} dropped ({agent.SocketPath})");
            if (agent.LastError is not null) Line(b, "chrony error", agent.LastError);
            if (agent.Reading.Length > 0) Line(b, "chrony reading", agent.Reading);
        }
        b.AppendLine();

        b.AppendLine("MS Path                          Type               Method         Reach   Samples  Delay     Last sample");
        b.AppendLine("===========================================================================================================");
        foreach (var src in s.Sources)
        {
            char state = src.Selected ? '*' : src.Verdict == "falseticker" ? 'x' : src.Reach == 0 || src.LastFailure is not null ? '?' : '+';
            string type = src.Type + VariantSuffix(src);
            b.Append(Inv, $"#{state} {Fit(src.Path, 29),-29} {Fit(type, 18),-18} {Fit(src.Method ?? "-", 14),-14} {Convert.ToString(src.Reach & 0xFF, 8),5} {src.Samples,9}  ");
            b.Append(Inv, $"{(src.LastDelaySeconds is { } d ? Short(d, false) : "-"),-8}  ");
            b.Append(src.LastOffsetSeconds is { } o ? Short(o, true) : "-");
            if (src.LastErrorSeconds is { } e) b.Append(" +/- ").Append(Short(e, false));
            b.AppendLine();
            if (src.WindowSeconds is { } w)
            {
                b.Append(Inv, $"     window {Short(w, false)}, calibration {src.Calibration}");
                if (src.CorrectionSeconds is { } c && src.Calibration != "none") b.Append(" correction ").Append(Short(c, true));
                if (src.AllowanceSeconds is { } a) b.Append(" allowance ").Append(Short(a, false));
                if (src.CorrectedOffsetSeconds is { } co) b.Append(", corrected offset ").Append(Short(co, true));
                b.Append(", ").Append(src.Verdict);
                if (src.StalledSamples > 0) b.Append(Inv, $", {src.StalledSamples} stalled left out");
                b.AppendLine();
            }
            if (src.LastFailure is not null) b.Append("     last failure: ").AppendLine(src.LastFailure);
        }
        if (s.Sources.Count == 0) b.AppendLine("   (no sources)");
        return b.ToString();
    }

    /// <summary>chronyc-style short durations: 123ns, -45us, 3210us, 12ms, 5s.</summary>
    public static string Short(double seconds, bool signed)
    {
        double abs = Math.Abs(seconds);
        string sign = signed ? (seconds < 0 ? "-" : "+") : (seconds < 0 ? "-" : "");
        (double value, string unit) = abs < 9999.5e-9 ? (abs * 1e9, "ns") : abs < 9999.5e-6 ? (abs * 1e6, "us") : abs < 9999.5e-3 ? (abs * 1e3, "ms") : (abs, "s");
        return sign + Math.Round(value).ToString("0", Inv) + unit;
    }

    private static string VariantSuffix(StatusSource s) => s.Type == "utc-smeared" ? $"/{s.Variant}" : "";

    private static string LeapText(string leap) => leap switch
    {
        "insert-second" => "Insert second",
        "delete-second" => "Delete second",
        "unsynchronized" => "Not synchronised",
        _ => "Normal",
    };

    private static string RefTime(long unixNs) =>
        unixNs == 0 ? "unknown" : DateTimeOffset.FromUnixTimeMilliseconds(Math.DivRem(unixNs, 1_000_000).Quotient).UtcDateTime.ToString("ddd MMM dd HH:mm:ss yyyy", Inv);

    private static string Signed(double v, string format) => (v >= 0 ? "+" : "-") + Math.Abs(v).ToString(format, Inv);

    private static string Fit(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];

    private static void Line(StringBuilder b, string label, string value) => b.Append(label.PadRight(16)).Append(": ").AppendLine(value);
}
