namespace Sync.Filters.Samples;

/// <summary>The one sample a poll's median filter produced, and how many of the poll's samples it kept.</summary>
public sealed record FilteredSample(OffsetSample Sample, int SamplesKept, int SamplesOffered);
