namespace Sync.Daemon.Configuration;

/// <summary>Either valid options, or every error found (never half of each).</summary>
public sealed record ConfigurationLoadResult(VirtsyncOptions? Options, IReadOnlyList<ConfigurationError> Errors)
{
    public bool IsValid => Options is not null && Errors.Count == 0;
}
