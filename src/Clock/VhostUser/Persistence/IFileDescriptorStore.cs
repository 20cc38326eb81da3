namespace Sync.Clock.VhostUser;

/// <summary>
/// A place that keeps file descriptors across a restart or crash of this process (systemd's file descriptor store,
/// or fdstore.py in the VM lab). Store sends a duplicate: the caller keeps (and may close) its own fd. Names are not
/// unique in systemd's store, so callers remove a name before storing it again. Never throws; failures are logged.
/// </summary>
public interface IFileDescriptorStore
{
    void Store(string name, int fd);

    void Remove(string name);
}
