using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Surviving a restart or crash, for one connection: after every state-changing message the fd store is brought up to
/// date (remove-then-store for each fd that changed) and the state file rewritten (<see cref="Persist"/>); a new process
/// takes the connection back from both (<see cref="Restore"/>) and continues on the same socket, so the front end does not
/// notice. When the front end is gone, nothing is left for a next process (<see cref="Forget"/>).
/// </summary>
internal sealed class ConnectionPersistence(int id, int socketFd, VhostUserSession session, IFileDescriptorStore fdStore,
    ConnectionStateDirectory stateDirectory, ILogger logger)
{
    // What the store holds for this connection now, by name.
    private readonly Dictionary<string, int> _storedFds = new();

    /// <summary>
    /// Stores the fds that are new or changed and removes those that are gone, then rewrites the state file.
    /// fd numbers identify changes: a replaced fd is always received while the old one is still open, and this
    /// runs after every message, so a number is never reused under the same name unseen.
    /// </summary>
    public void Persist(bool storeAll = false)
    {
        var held = HeldFds();
        foreach (var (name, fd) in _storedFds.ToArray())
        {
            if (!held.TryGetValue(name, out int now) || now != fd || storeAll)
            {
                fdStore.Remove(name);
                _storedFds.Remove(name);
            }
        }
        foreach (var (name, fd) in held)
        {
            if (!_storedFds.ContainsKey(name))
            {
                fdStore.Store(name, fd);
                _storedFds[name] = fd;
            }
        }
        if (!stateDirectory.TryWrite(session.Snapshot(), out string problem))
        {
            logger.LogWarning("vhost-user connection {Id}: state file not written, a restart would lose this connection: {Problem}", id, problem);
        }
    }

    /// <summary>
    /// Takes the connection back from a previous process: <paramref name="fds"/> are its fds from the store (the socket
    /// fd is the connection's own) and all become owned by it. The session maps the memory and restores the vrings
    /// (<see cref="VhostUserSession.Restore"/>); fds it did not adopt are closed. Returns the problem ("" when restored);
    /// on a problem the caller ends the connection and <see cref="Forget"/> takes everything out of the store again.
    /// </summary>
    public string Restore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds)
    {
        foreach (var (name, fd) in fds)
        {
            _storedFds[name.ToString()] = fd; // in the store already: removed again if the restore fails
        }
        _storedFds[FdStoreName.Socket(id).ToString()] = socketFd;
        var adopted = new HashSet<int> { socketFd };
        string problem = session.Restore(snapshot, fds, adopted);
        foreach (var (_, fd) in fds)
        {
            if (!adopted.Contains(fd))
            {
                LibC.CloseQuietly(fd);
            }
        }
        return problem;
    }

    /// <summary>The front end is gone (or broke the protocol): its fds leave the store and its state file is deleted.</summary>
    public void Forget()
    {
        foreach (string name in _storedFds.Keys)
        {
            fdStore.Remove(name);
        }
        _storedFds.Clear();
        stateDirectory.Delete(id);
    }

    /// <summary>The fds this connection holds now, by store name.</summary>
    private Dictionary<string, int> HeldFds()
    {
        var held = new Dictionary<string, int> { [FdStoreName.Socket(id).ToString()] = socketFd };
        var memory = session.Memory;
        foreach (var slot in memory.Slots)
        {
            if (memory.FdSlotOf(slot) == slot.Index)
            {
                held[FdStoreName.Memory(id, slot.Index).ToString()] = slot.Fd;
            }
        }
        var vrings = session.Vrings;
        for (int q = 0; q < vrings.Count; q++)
        {
            var vring = vrings[q];
            if (vring.KickFd >= 0) held[FdStoreName.Kick(id, q).ToString()] = vring.KickFd;
            if (vring.CallFd >= 0) held[FdStoreName.Call(id, q).ToString()] = vring.CallFd;
            if (vring.ErrFd >= 0) held[FdStoreName.Err(id, q).ToString()] = vring.ErrFd;
        }
        return held;
    }
}
