using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>Taking over the connections of a previous process from its stored fds and state files.</summary>
public sealed partial class VhostUserServer
{
    /// <summary>Store name of the listening socket.</summary>
    public const string ListenFdName = "listen";

    /// <summary>
    /// Groups the inherited fds by connection id (<see cref="FdStoreName"/>), loads each id's state file and
    /// rebuilds the connection on its socket fd, with a new device. Fds without a usable state file, state without
    /// its fds, and fds of no connection are closed and removed from the store, with a warning; state files of
    /// connections that did not come back are deleted. New connections get ids above every restored one.
    /// Never throws on bad input.
    /// </summary>
    private void RestoreConnections(IReadOnlyList<InheritedFileDescriptor> inherited)
    {
        var groups = new SortedDictionary<int, Dictionary<FdStoreName, int>>();
        foreach (var (name, fd) in inherited)
        {
            if (name == ListenFdName && _inheritedListenFd < 0)
            {
                _inheritedListenFd = fd; // checked and taken over by Start
                continue;
            }
            if (!FdStoreName.TryParse(name, out var parsed))
            {
                _logger.LogWarning("vhost-user server: inherited fd {Fd} named '{Name}' belongs to no connection; closing it", fd, name);
                Discard(name, fd);
                continue;
            }
            var group = groups.TryGetValue(parsed.ConnectionId, out var existing) ? existing : groups[parsed.ConnectionId] = new();
            if (group.TryGetValue(parsed, out int duplicate))
            {
                // A store may hold one name twice (systemd's allows it); the later fd is the newer one.
                LibC.CloseQuietly(duplicate);
            }
            group[parsed] = fd;
        }
        foreach (var (id, fds) in groups)
        {
            _nextConnectionId = Math.Max(_nextConnectionId, id);
            RestoreConnection(id, fds);
        }
        if (_stateDirectory is not null && _options.FileDescriptorStore is not null)
        {
            foreach (int id in _stateDirectory.ListConnectionIds())
            {
                if (!groups.ContainsKey(id))
                {
                    _logger.LogInformation("vhost-user server: state file of connection {Id} has no fds; deleting it", id);
                    _stateDirectory.Delete(id);
                }
            }
        }
    }

    private void RestoreConnection(int id, Dictionary<FdStoreName, int> fds)
    {
        string problem;
        if (_stateDirectory is null)
        {
            problem = "no state directory is configured";
        }
        else if (!fds.TryGetValue(FdStoreName.Socket(id), out int socketFd))
        {
            problem = "its socket fd is missing";
        }
        else if (!_stateDirectory.TryRead(id, out var snapshot, out problem))
        {
            // problem says why
        }
        else
        {
            fds.Remove(FdStoreName.Socket(id));
            IVirtioDevice device;
            try
            {
                device = _deviceFactory();
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "vhost-user server: device factory failed; dropping restored connection {Id}", id);
                fds[FdStoreName.Socket(id)] = socketFd;
                DropConnection(id, fds);
                return;
            }
            var connection = new VhostUserConnection(id, socketFd, device, _options, _logger, _options.FileDescriptorStore, _stateDirectory);
            if (connection.TryRestore(snapshot, fds, out problem))
            {
                Interlocked.Increment(ref _accepted);
                _restored.Add(connection);
                _logger.LogInformation("vhost-user server: connection {Id} restored from the fd store", id);
                Register(connection, device);
                return;
            }
            (device as IDisposable)?.Dispose();
            _logger.LogWarning("vhost-user server: connection {Id} not restored: {Problem}; its front end is disconnected", id, problem);
            return;
        }
        _logger.LogWarning("vhost-user server: connection {Id} not restored: {Problem}; closing its {Count} fds", id, problem, fds.Count);
        DropConnection(id, fds);
    }

    private void DropConnection(int id, Dictionary<FdStoreName, int> fds)
    {
        foreach (var (name, fd) in fds)
        {
            Discard(name.ToString(), fd);
        }
        _stateDirectory?.Delete(id);
    }

    private void Discard(string name, int fd)
    {
        LibC.CloseQuietly(fd);
        _options.FileDescriptorStore?.Remove(name);
    }
}
