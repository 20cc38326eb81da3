using System.Reflection;

namespace Sync.Daemon;

/// <summary>The version printed by --version and exported as virtsync_build_info{version}.</summary>
public static class DaemonVersion
{
    public static string Text { get; } =
        typeof(DaemonVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(DaemonVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
