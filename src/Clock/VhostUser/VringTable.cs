namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's vrings (one <see cref="VringState"/> per device queue, at most 64): what the front end set up for
/// each and the ring object built from it. Owned by the connection's loop; not thread-safe.
/// </summary>
internal sealed class VringTable : IDisposable
{
    public const int MaxQueues = 64;

    private readonly VringState[] _vrings;

    public VringTable(int queueCount)
    {
        _vrings = new VringState[Math.Clamp(queueCount, 1, MaxQueues)];
        for (int i = 0; i < _vrings.Length; i++)
        {
            _vrings[i] = new VringState { Index = i };
        }
    }

    public int Count => _vrings.Length;

    /// <summary>Told (queue, fd) before a kick fd is closed: the loop takes it out of its epoll set first.</summary>
    public Action<int, int>? KickClosing
    {
        set
        {
            foreach (var vring in _vrings)
            {
                vring.KickClosing = value;
            }
        }
    }

    public VringState this[int index] => _vrings[index];

    public IEnumerable<VringState> All => _vrings;

    /// <summary>The vring at <paramref name="index"/>, or a problem naming the range.</summary>
    public bool TryGet(uint index, out VringState vring, ref string? problem)
    {
        if (index < (uint)_vrings.Length)
        {
            vring = _vrings[index];
            return true;
        }
        vring = null!;
        problem = $"vring index {index} out of range (device has {_vrings.Length} queues)";
        return false;
    }

    /// <summary>Started (has a kick), enabled and with addresses: its kicks are served.</summary>
    public bool IsRunnable(int q) => _vrings[q].Started && _vrings[q].Enabled && _vrings[q].AddressSet;

    /// <summary>Forgets every ring object (features or memory changed); each keeps its progress.</summary>
    public void DropQueues()
    {
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
    }

    /// <summary>RESET_OWNER/RESET_DEVICE: closes every fd and forgets everything but the sizes.</summary>
    public void Reset()
    {
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
            vring.Enabled = false;
            vring.AddressSet = false;
            vring.Base = 0;
        }
    }

    /// <summary>Closes every kick, call and err fd.</summary>
    public void Dispose()
    {
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
        }
    }
}
