using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Microsoft.Extensions.Logging;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Surviving a restart or crash: after every state-changing message the connection brings the fd store up to date
/// (remove-then-store for each fd that changed) and rewrites its state file; a new process restores the connection
/// from both (<see cref="TryRestore"/>) and continues on the same socket, so the front end does not notice.
/// </summary>
public sealed partial class VhostUserConnection
{
    /// <summary>The fds this connection holds now, by store name.</summary>
    private Dictionary<string, int> HeldFds()
    {
        var held = new Dictionary<string, int> { [FdStoreName.Socket(Id).ToString()] = _socketFd };
        var memory = _session.Memory;
        foreach (var slot in memory.Slots)
        {
            if (memory.FdSlotOf(slot) == slot.Index)
            {
                held[FdStoreName.Memory(Id, slot.Index).ToString()] = slot.Fd;
            }
        }
        var vrings = _session.Vrings;
        for (int q = 0; q < vrings.Count; q++)
        {
            var vring = vrings[q];
            if (vring.KickFd >= 0) held[FdStoreName.Kick(Id, q).ToString()] = vring.KickFd;
            if (vring.CallFd >= 0) held[FdStoreName.Call(Id, q).ToString()] = vring.CallFd;
            if (vring.ErrFd >= 0) held[FdStoreName.Err(Id, q).ToString()] = vring.ErrFd;
        }
        return held;
    }

    /// <summary>
    /// Stores the fds that are new or changed and removes those that are gone, then rewrites the state file.
    /// fd numbers identify changes: a replaced fd is always received while the old one is still open, and this
    /// runs after every message, so a number is never reused under the same name unseen.
    /// </summary>
    private void Persist(bool storeAll = false)
    {
        if (_fdStore is null)
        {
            return;
        }
        var held = HeldFds();
        foreach (var (name, fd) in _storedFds.ToArray())
        {
            if (!held.TryGetValue(name, out int now) || now != fd || storeAll)
            {
                _fdStore.Remove(name);
                _storedFds.Remove(name);
            }
        }
        foreach (var (name, fd) in held)
        {
            if (!_storedFds.ContainsKey(name))
            {
                _fdStore.Store(name, fd);
                _storedFds[name] = fd;
            }
        }
        if (!_stateDirectory!.TryWrite(_session.Snapshot(), out string problem))
        {
            _logger.LogWarning("vhost-user connection {Id}: state file not written, a restart would lose this connection: {Problem}", Id, problem);
        }
    }

    /// <summary>The device changed state of its own (an alarm set): the state file is rewritten after the current pass.</summary>
    private void OnDeviceStateChanged() => _session.DeviceStateDirty = true;

    /// <summary>
    /// Takes over a front end from a previous process: <paramref name="fds"/> are this connection's fds from the
    /// store (the socket fd was given to the constructor) and all become owned by this connection. The session maps
    /// the memory and restores the vrings (<see cref="VhostUserSession.Restore"/>); everything is stored again under
    /// the same names. On failure the connection is ended (fds closed, removed from the store, state deleted).
    /// Call before <see cref="Start"/>.
    /// </summary>
    internal bool TryRestore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, out string problem)
    {
        foreach (var (name, fd) in fds)
        {
            _storedFds[name.ToString()] = fd; // in the store already: removed again if the restore fails
        }
        _storedFds[FdStoreName.Socket(Id).ToString()] = _socketFd;
        var adopted = new HashSet<int> { _socketFd };
        problem = _session.Restore(snapshot, fds, adopted);
        foreach (var (_, fd) in fds)
        {
            if (!adopted.Contains(fd))
            {
                LibC.CloseQuietly(fd);
            }
        }
        if (problem.Length > 0)
        {
            Close($"restore failed: {problem}");
            return false;
        }
        _restored = true;
        Persist(storeAll: true);
        return true;
    }
}
