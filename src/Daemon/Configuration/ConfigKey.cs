using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Sync.Daemon.Configuration;

/// <summary>
/// One configuration key, declared once in <see cref="ConfigKeys"/>: its name (section:name), type, default,
/// allowed values, unit and doc line. The declaration parses and validates the value, places it in
/// <see cref="VirtsyncOptions"/>, and writes the `--help` line, the docs/operations.md row and the error messages.
/// </summary>
public abstract class ConfigKey
{
    private protected ConfigKey(string name, string type, string unit, string doc)
    {
        if (name.IndexOf(':') <= 0) throw new ArgumentException($"a configuration key is section:name, not '{name}'", nameof(name));
        Name = name;
        Type = type;
        Unit = unit;
        Doc = doc;
    }

    /// <summary>section:name, e.g. sources:readIntervalSeconds.</summary>
    public string Name { get; }
    public string Section => Name[..Name.IndexOf(':')];

    /// <summary>number, integer, boolean, choice, path, directory, HOST:PORT, list, UTC midnight.</summary>
    public string Type { get; }

    /// <summary>s, ms, ppm, ... or empty.</summary>
    public string Unit { get; }

    /// <summary>One line: what the key does (docs table and --help).</summary>
    public string Doc { get; }

    public abstract string DefaultText { get; }
    public abstract string AllowedText { get; }

    /// <summary>A valid value that differs from the default: the tests set it and check it reaches the options.</summary>
    public abstract string Example { get; }

    /// <summary>Whether a leaf key of the configuration (any case) belongs to this key; list keys own their items.</summary>
    public virtual bool Owns(string key) => key.Equals(Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads this key from the configuration into the options (unchanged when absent or bad; bad adds an error).</summary>
    internal abstract VirtsyncOptions Read(IConfiguration config, VirtsyncOptions options, List<ConfigurationError> errors);

    /// <summary>The value this key has in the options, in configuration spelling.</summary>
    public abstract string ValueIn(VirtsyncOptions options);

    public override string ToString() => Name;
}

/// <summary>Parses one raw value; on failure <paramref name="problem"/> says what is allowed ("is out of range: use 1..25").</summary>
public delegate bool ConfigParser<T>(string raw, out T value, out string problem);

/// <summary>A key with a value of type <typeparamref name="T"/>; see <see cref="ConfigKeys"/> for how to declare one.</summary>
public class ConfigKey<T> : ConfigKey
{
    private readonly ConfigParser<T> _parse;
    private readonly Func<T, string> _format;
    private readonly Func<VirtsyncOptions, T> _get;
    private readonly Func<VirtsyncOptions, T, VirtsyncOptions> _set;
    private readonly string? _defaultText;

    public ConfigKey(string name, string type, T @default, string allowed, string unit, string doc, string example,
        ConfigParser<T> parse, Func<T, string> format, Func<VirtsyncOptions, T> get, Func<VirtsyncOptions, T, VirtsyncOptions> set,
        string? defaultText = null)
        : base(name, type, unit, doc)
    {
        Default = @default;
        AllowedText = allowed;
        Example = example;
        _parse = parse;
        _format = format;
        _get = get;
        _set = set;
        _defaultText = defaultText;
    }

    /// <summary>The default, defined here only: the options records take their initial values from it.</summary>
    public T Default { get; }
    public override string DefaultText => _defaultText ?? _format(Default);
    public override string AllowedText { get; }
    public override string Example { get; }

    public string Format(T value) => _format(value);
    protected VirtsyncOptions SetValue(VirtsyncOptions options, T value) => _set(options, value);
    public T Get(VirtsyncOptions options) => _get(options);
    public override string ValueIn(VirtsyncOptions options) => _format(_get(options));

    /// <summary>Parses a raw value as the configuration would (for callers that take the value elsewhere, e.g. a CLI flag).</summary>
    public bool TryParse(string raw, out T value, out string problem) => _parse(raw.Trim(), out value, out problem);

    internal override VirtsyncOptions Read(IConfiguration config, VirtsyncOptions options, List<ConfigurationError> errors)
    {
        var raw = config[Name];
        if (raw is null) return options;
        raw = raw.Trim();
        if (_parse(raw, out var value, out var problem)) return _set(options, value);
        errors.Add(new ConfigurationError(Name, raw.Length == 0 ? "(empty)" : raw, problem));
        return options;
    }
}

/// <summary>
/// A key whose value is a list: a JSON array, or one comma-separated string (environment, command line).
/// Items are validated one by one and reported under their own key (serve:clocks:2).
/// </summary>
public sealed class ListConfigKey<TItem> : ConfigKey<IReadOnlyList<TItem>>
{
    /// <summary>Reads one item (a scalar <paramref name="text"/>, or an object <paramref name="item"/>); a bad item reports through <paramref name="error"/> under its key and returns false.</summary>
    public delegate bool ItemReader(string itemKey, IConfigurationSection? item, string? text, Action<string, string?, string> error, out TItem value);

    private readonly ItemReader _item;
    private readonly bool _mayBeEmpty;
    private readonly string[] _itemFields;

    public ListConfigKey(string name, IReadOnlyList<TItem> @default, string allowed, string doc, string example,
        ItemReader item, Func<TItem, string> formatItem, Func<VirtsyncOptions, IReadOnlyList<TItem>> get,
        Func<VirtsyncOptions, IReadOnlyList<TItem>, VirtsyncOptions> set, bool mayBeEmpty, string[]? itemFields = null, string? defaultText = null)
        : base(name, "list", @default, allowed, "", doc, example, NoScalarParse, v => string.Join(", ", v.Select(formatItem)), get, set, defaultText)
    {
        _item = item;
        _mayBeEmpty = mayBeEmpty;
        _itemFields = itemFields ?? [];
    }

    private static bool NoScalarParse(string raw, out IReadOnlyList<TItem> value, out string problem)
    {
        value = [];
        problem = "is a list";
        return false;
    }

    public override bool Owns(string key)
    {
        if (base.Owns(key)) return true;
        if (!key.StartsWith(Name + ":", StringComparison.OrdinalIgnoreCase)) return false;
        var rest = key[(Name.Length + 1)..].Split(':');
        if (!IsIndex(rest[0])) return false;
        return rest.Length == 1 || (rest.Length == 2 && _itemFields.Contains(rest[1], StringComparer.OrdinalIgnoreCase));
    }

    private static bool IsIndex(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    internal override VirtsyncOptions Read(IConfiguration config, VirtsyncOptions options, List<ConfigurationError> errors)
    {
        var section = config.GetSection(Name);
        void Error(string key, string? value, string problem) => errors.Add(new ConfigurationError(key, value, problem));
        var result = new List<TItem>();
        var before = errors.Count;
        if (section.Value is { } single)
        {
            var items = single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var text in items)
                if (_item(Name, null, text, Error, out var item)) Add(Name, text, item);
        }
        else
        {
            if (!section.Exists()) return options;
            foreach (var child in section.GetChildren().OrderBy(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue))
            {
                var key = $"{Name}:{child.Key}";
                var text = child.Value?.Trim();
                if (_item(key, text is null ? child : null, text, Error, out var item)) Add(key, text ?? "", item);
            }
        }
        if (errors.Count > before) return options;
        if (result.Count == 0 && !_mayBeEmpty)
        {
            Error(Name, "(empty)", $"lists nothing: use one or more of {AllowedText}");
            return options;
        }
        return SetValue(options, result);

        void Add(string key, string text, TItem item)
        {
            if (result.Contains(item)) Error(key, text, "is listed twice: name each one once");
            else result.Add(item);
        }
    }
}
