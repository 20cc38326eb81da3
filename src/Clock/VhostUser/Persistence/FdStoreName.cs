using System.Globalization;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Names of a connection's fds in the store: vu{id}-sock, vu{id}-mem{slot}, vu{id}-kick{q}, vu{id}-call{q},
/// vu{id}-err{q}. Names are at most 255 ASCII characters without ':' (systemd's rules); these are far shorter.
/// </summary>
public readonly record struct FdStoreName(int ConnectionId, FdStoreName.Kind What, int Index)
{
    public enum Kind { Socket, Memory, Kick, Call, Err }

    public static FdStoreName Socket(int id) => new(id, Kind.Socket, 0);
    public static FdStoreName Memory(int id, int slot) => new(id, Kind.Memory, slot);
    public static FdStoreName Kick(int id, int queue) => new(id, Kind.Kick, queue);
    public static FdStoreName Call(int id, int queue) => new(id, Kind.Call, queue);
    public static FdStoreName Err(int id, int queue) => new(id, Kind.Err, queue);

    public override string ToString() => What switch
    {
        Kind.Socket => $"vu{ConnectionId}-sock",
        Kind.Memory => $"vu{ConnectionId}-mem{Index}",
        Kind.Kick => $"vu{ConnectionId}-kick{Index}",
        Kind.Call => $"vu{ConnectionId}-call{Index}",
        _ => $"vu{ConnectionId}-err{Index}",
    };

    /// <summary>Parses a name written by <see cref="ToString"/>; false for anything else (other services' fds, "listen").</summary>
    public static bool TryParse(string text, out FdStoreName name)
    {
        name = default;
        if (!text.StartsWith("vu", StringComparison.Ordinal))
        {
            return false;
        }
        int dash = text.IndexOf('-', 2);
        if (dash < 0 || !TryParseIndex(text.AsSpan(2, dash - 2), out int id) || id <= 0)
        {
            return false;
        }
        var rest = text.AsSpan(dash + 1);
        if (rest.SequenceEqual("sock"))
        {
            name = Socket(id);
            return true;
        }
        foreach (var (prefix, kind) in new[] { ("mem", Kind.Memory), ("kick", Kind.Kick), ("call", Kind.Call), ("err", Kind.Err) })
        {
            if (rest.StartsWith(prefix, StringComparison.Ordinal) && TryParseIndex(rest.Slice(prefix.Length), out int index))
            {
                name = new FdStoreName(id, kind, index);
                return true;
            }
        }
        return false;
    }

    private static bool TryParseIndex(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        // Canonical decimal only (no sign, no leading zeros), so a name parses back to the same string.
        if (digits.IsEmpty || digits.Length > 9 || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
