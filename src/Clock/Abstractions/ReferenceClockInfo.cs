using Sync.Filters.Time;

namespace Sync.Clock.Abstractions;

/// <summary>What a reference clock is: where it lives, its name (clock_name), and the scale it counts in.</summary>
public sealed record ReferenceClockInfo(string Path, string Name, ClockScale Scale);
