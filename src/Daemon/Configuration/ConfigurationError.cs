namespace Sync.Daemon.Configuration;

/// <summary>One bad configuration entry: the key, the value given and what to use instead.</summary>
public sealed record ConfigurationError(string Key, string? Value, string Problem)
{
    public override string ToString() => Value is null ? $"{Key}: {Problem}" : $"{Key} = {Value} {Problem}";
}
