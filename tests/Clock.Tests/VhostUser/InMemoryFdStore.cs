using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// A file descriptor store in the test process, with systemd's semantics: Store keeps a duplicate (one name may
/// hold several fds), Remove drops every fd of a name, and <see cref="HandOver"/> gives a restarted server
/// duplicates of everything while the store keeps its own.
/// </summary>
internal sealed class InMemoryFdStore : IFileDescriptorStore, IDisposable
{
    private readonly object _gate = new();
    private readonly List<(string Name, int Fd)> _entries = new();
    private readonly List<string> _removed = new();

    public void Store(string name, int fd) => Adopt(name, LibC.Dup(fd));

    /// <summary>Keeps <paramref name="fd"/> itself (it came through SCM_RIGHTS, already a copy).</summary>
    public void Adopt(string name, int fd)
    {
        Assert.True(fd >= 0, $"no fd to store under {name}");
        lock (_gate)
        {
            _entries.Add((name, fd));
        }
    }

    public void Remove(string name)
    {
        lock (_gate)
        {
            foreach (var entry in _entries.Where(e => e.Name == name))
            {
                LibC.Close(entry.Fd);
            }
            _entries.RemoveAll(e => e.Name == name);
            _removed.Add(name);
        }
    }

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    public IReadOnlyList<string> Removed
    {
        get
        {
            lock (_gate)
            {
                return _removed.ToArray();
            }
        }
    }

    /// <summary>What a restarted process gets ($LISTEN_FDS): a duplicate of each stored fd with its name.</summary>
    public IReadOnlyList<InheritedFileDescriptor> HandOver()
    {
        lock (_gate)
        {
            return _entries.Select(e => new InheritedFileDescriptor(e.Name, LibC.Dup(e.Fd))).ToArray();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, fd) in _entries)
            {
                LibC.Close(fd);
            }
            _entries.Clear();
        }
    }
}
