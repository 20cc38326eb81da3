using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>One reading of a PHC: all samples of one ioctl, the PHC's scale, and the method used.</summary>
public sealed record PhcReading(ReadingMethod Method, ClockScale PhcScale, IReadOnlyList<SampleTriple> Samples)
{
    /// <summary>PTP_SYS_OFFSET's interleaved array sys0, phc0, sys1, phc1, ..., sysN -> triples (sys[i], phc[i], sys[i+1]).</summary>
    public static PhcReading FromInterleaved(ClockScale phcScale, ReadOnlySpan<long> interleavedNs)
    {
        if (interleavedNs.Length < 3 || interleavedNs.Length % 2 == 0)
            throw new ArgumentException("an interleaved reading has 2n+1 timestamps, n >= 1", nameof(interleavedNs));
        var triples = new SampleTriple[interleavedNs.Length / 2];
        for (var i = 0; i < triples.Length; i++)
            triples[i] = new SampleTriple(interleavedNs[2 * i], interleavedNs[2 * i + 1], interleavedNs[2 * i + 2]);
        return new PhcReading(ReadingMethod.Basic, phcScale, triples);
    }

    public static PhcReading FromCrossTimestamp(ClockScale phcScale, long phcNs, long sysNs) =>
        new(ReadingMethod.Precise, phcScale, [new SampleTriple(sysNs, phcNs, sysNs)]);
}
