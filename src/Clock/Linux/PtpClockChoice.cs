namespace Sync.Clock.Linux;

/// <summary>The clock `sync` would use, and why, in words for a person.</summary>
public sealed record PtpClockChoice(PtpClockDescription Clock, string Reason);
