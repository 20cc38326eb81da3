namespace Sync.Clock.Virtio;

/// <summary>
/// A device with state of its own that a guest set up and expects to keep (virtio-rtc: its alarms), so that a
/// restarted back end taking over the VM (the vhost-user state file) serves it on unchanged.
/// </summary>
public interface IPersistentVirtioDevice
{
    /// <summary>The state as bytes (small; written with the connection's state file whenever it changes).</summary>
    byte[] SaveState();

    /// <summary>Restores what <see cref="SaveState"/> wrote; false (nothing changed) for bytes it cannot read.</summary>
    bool RestoreState(ReadOnlySpan<byte> state);

    /// <summary>Raised on the thread that changed the state (a request) when <see cref="SaveState"/> would now differ.</summary>
    event Action? StateChanged;
}
