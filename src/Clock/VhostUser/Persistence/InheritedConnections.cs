using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Taking over the connections of a previous process from its stored fds and state files: the inherited fds are sorted
/// by connection id (<see cref="FdStoreName"/>; <see cref="Sort"/>), each connection is rebuilt on its socket fd with a
/// new device (<see cref="Restore"/>), and what cannot come back is closed, removed from the store and its state file
/// deleted, with a warning. Never throws on bad input.
/// </summary>
internal sealed class InheritedConnections(VhostUserServerOptions options, ConnectionStateDirectory? stateDirectory, ILogger logger)
{
    /// <summary>
    /// The first fd named <see cref="ListeningSocket.StoreName"/> (-1 when none; the caller checks it) and the others by
    /// connection id. Fds of no connection are closed and removed from the store; of one name stored twice (systemd's store
    /// allows it) the later, newer fd is kept.
    /// </summary>
    public (int ListenFd, SortedDictionary<int, Dictionary<FdStoreName, int>> Connections) Sort(IReadOnlyList<InheritedFileDescriptor> inherited)
    {
        int listenFd = -1;
        var groups = new SortedDictionary<int, Dictionary<FdStoreName, int>>();
        foreach (var (name, fd) in inherited)
        {
            if (name == ListeningSocket.StoreName && listenFd < 0)
            {
                listenFd = fd;
                continue;
            }
            if (!FdStoreName.TryParse(name, out var parsed))
            {
                logger.LogWarning("vhost-user server: inherited fd {Fd} named '{Name}' belongs to no connection; closing it", fd, name);
                Discard(name, fd);
                continue;
            }
            var group = groups.TryGetValue(parsed.ConnectionId, out var existing) ? existing : groups[parsed.ConnectionId] = new();
            if (group.TryGetValue(parsed, out int duplicate))
            {
                LibC.CloseQuietly(duplicate);
            }
            group[parsed] = fd;
        }
        return (listenFd, groups);
    }

    /// <summary>
    /// Rebuilds connection <paramref name="id"/> from its fds and state file, with a device from
    /// <paramref name="deviceFactory"/>: the restored connection (not yet started) and its device, or null when it could
    /// not come back (its fds closed and removed from the store, its state file deleted).
    /// </summary>
    public (VhostUserConnection Connection, IVirtioDevice Device)? Restore(int id, Dictionary<FdStoreName, int> fds, Func<IVirtioDevice> deviceFactory)
    {
        string problem;
        if (stateDirectory is null)
        {
            problem = "no state directory is configured";
        }
        else if (!fds.TryGetValue(FdStoreName.Socket(id), out int socketFd))
        {
            problem = "its socket fd is missing";
        }
        else if (!stateDirectory.TryRead(id, out var snapshot, out problem))
        {
            // problem says why
        }
        else
        {
            fds.Remove(FdStoreName.Socket(id));
            IVirtioDevice device;
            try
            {
                device = deviceFactory();
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "vhost-user server: device factory failed; dropping restored connection {Id}", id);
                fds[FdStoreName.Socket(id)] = socketFd;
                Drop(id, fds);
                return null;
            }
            var connection = new VhostUserConnection(id, socketFd, device, options, logger, options.FileDescriptorStore, stateDirectory);
            if (connection.TryRestore(snapshot, fds, out problem))
            {
                logger.LogInformation("vhost-user server: connection {Id} restored from the fd store", id);
                return (connection, device);
            }
            (device as IDisposable)?.Dispose();
            logger.LogWarning("vhost-user server: connection {Id} not restored: {Problem}; its front end is disconnected", id, problem);
            return null;
        }
        logger.LogWarning("vhost-user server: connection {Id} not restored: {Problem}; closing its {Count} fds", id, problem, fds.Count);
        Drop(id, fds);
        return null;
    }

    /// <summary>State files of connections that did not come back (no fds inherited) are deleted.</summary>
    public void DeleteOrphanStates(ICollection<int> inheritedIds)
    {
        if (stateDirectory is null || options.FileDescriptorStore is null)
        {
            return;
        }
        foreach (int id in stateDirectory.ListConnectionIds())
        {
            if (!inheritedIds.Contains(id))
            {
                logger.LogInformation("vhost-user server: state file of connection {Id} has no fds; deleting it", id);
                stateDirectory.Delete(id);
            }
        }
    }

    /// <summary>An inherited fd nothing takes over: closed and removed from the store.</summary>
    public void Discard(string name, int fd)
    {
        LibC.CloseQuietly(fd);
        options.FileDescriptorStore?.Remove(name);
    }

    private void Drop(int id, Dictionary<FdStoreName, int> fds)
    {
        foreach (var (name, fd) in fds)
        {
            Discard(name.ToString(), fd);
        }
        stateDirectory?.Delete(id);
    }
}
