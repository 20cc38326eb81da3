namespace Sync.Daemon.Status;

/// <summary>What the socket sends: the document, or why there is none yet (e.g. before the first tick).</summary>
public sealed record StatusReply
{
    public bool Running { get; init; } = true;
    public string? Message { get; init; }
    public StatusDocument? Status { get; init; }
}
