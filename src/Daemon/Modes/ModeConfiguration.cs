using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Modes;

/// <summary>Loads and validates the configuration for a mode; on errors prints every one and gives exit code 78.</summary>
public static class ModeConfiguration
{
    public static bool TryLoad(CommandArguments args, TextWriter stderr, out VirtsyncOptions options, out int exitCode,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = ConfigurationLoader.Load(args.ToConfigurationInputs(environment ?? ConfigurationInputs.ProcessEnvironment()));
        if (result.IsValid)
        {
            options = result.Options!;
            exitCode = ExitCodes.Ok;
            return true;
        }
        stderr.WriteLine($"virtsyncd: configuration error{(result.Errors.Count > 1 ? "s" : "")}:");
        foreach (var error in result.Errors) stderr.WriteLine($"  {error}");
        options = new VirtsyncOptions();
        exitCode = ExitCodes.ConfigError;
        return false;
    }
}
