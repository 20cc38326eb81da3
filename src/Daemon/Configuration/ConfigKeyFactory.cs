namespace Sync.Daemon.Configuration;

/// <summary>Short constructors for the common key types of <see cref="ConfigKeys"/>.</summary>
public static class ConfigKeyFactory
{
    public static ConfigKey<double> Number(string name, double @default, double min, double max, string unit, string doc, string example,
        Func<VirtsyncOptions, double> get, Func<VirtsyncOptions, double, VirtsyncOptions> set) =>
        new(name, "number", @default, ConfigValues.Range(min, max), unit, doc, example, ConfigValues.Number(min, max), ConfigValues.Format, get, set);

    public static ConfigKey<int> Integer(string name, int @default, int min, int max, string unit, string doc, string example,
        Func<VirtsyncOptions, int> get, Func<VirtsyncOptions, int, VirtsyncOptions> set) =>
        new(name, "integer", @default, $"{min}..{max}", unit, doc, example, ConfigValues.Integer(min, max),
            v => v.ToString(System.Globalization.CultureInfo.InvariantCulture), get, set);

    public static ConfigKey<bool> Boolean(string name, bool @default, string doc,
        Func<VirtsyncOptions, bool> get, Func<VirtsyncOptions, bool, VirtsyncOptions> set) =>
        new(name, "boolean", @default, "true, false", "", doc, ConfigValues.FormatBoolean(!@default), ConfigValues.Boolean, ConfigValues.FormatBoolean, get, set);

    public static ConfigKey<T> Choice<T>(string name, IReadOnlyList<(string Name, T Value)> table, T @default, string doc, string example,
        Func<VirtsyncOptions, T> get, Func<VirtsyncOptions, T, VirtsyncOptions> set) where T : struct =>
        new(name, "choice", @default, string.Join(", ", ConfigNames.Names(table)), "", doc, example, ConfigValues.Choice(table),
            v => ConfigNames.Name(table, v), get, set);

    /// <summary>An absolute path that fits a Unix socket address.</summary>
    public static ConfigKey<string> Socket(string name, string @default, string doc,
        Func<VirtsyncOptions, string> get, Func<VirtsyncOptions, string, VirtsyncOptions> set) =>
        new(name, "path", @default, "absolute path", "", doc, "/tmp/virtsync-example.sock", ConfigValues.SocketPath, v => v, get, set);
}
