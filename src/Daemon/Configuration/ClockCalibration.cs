using System.Globalization;
using System.Text.RegularExpressions;
using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>
/// One entry of sources:calibration, `PATH=CORRECTIONus+-ALLOWANCEus` (e.g. `/dev/ptp0=-31.2us+-4.5us`): the clock
/// at PATH (a device path or udev symlink) reads offsets CORRECTION too high, and the truth lies within ALLOWANCE
/// of the corrected offset. `virtsyncd calibrate` measures both against a narrower path and prints this text.
/// </summary>
public sealed partial record ClockCalibration(string Path, SourceCalibration Calibration)
{
    public const string Usage = "use PATH=CORRECTIONus+-ALLOWANCEus, e.g. /dev/ptp0=-31.2us+-4.5us (what `virtsyncd calibrate` prints)";

    [GeneratedRegex(@"^(?<path>/[^=\s]+)=(?<corr>[+-]?\d+(\.\d+)?)us\+-(?<allow>\d+(\.\d+)?)us$")]
    private static partial Regex Grammar();

    public static bool TryParse(string text, out ClockCalibration value, out string problem)
    {
        value = null!;
        var match = Grammar().Match(text.Trim());
        if (!match.Success)
        {
            problem = $"is not a calibration: {Usage}";
            return false;
        }
        var correctionUs = double.Parse(match.Groups["corr"].Value, CultureInfo.InvariantCulture);
        var allowanceUs = double.Parse(match.Groups["allow"].Value, CultureInfo.InvariantCulture);
        if (Math.Abs(correctionUs) > 1_000_000 || allowanceUs > 1_000_000)
        {
            problem = "is out of range: correction and allowance must be within 1 s (1000000us)";
            return false;
        }
        value = new ClockCalibration(match.Groups["path"].Value,
            new SourceCalibration(Duration.FromMicroseconds(correctionUs), Duration.FromMicroseconds(allowanceUs)));
        problem = "";
        return true;
    }

    /// <summary>The text form, ready to paste into sources:calibration (allowance rounded up to 0.1 us).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Path}={Calibration.Correction.Nanoseconds / 1000.0:0.0}us+-{Math.Ceiling(Calibration.Allowance.Nanoseconds / 100.0) / 10:0.0}us");
}
