namespace Sync.Clock.VhostUser;

/// <summary>
/// Which end of the Unix socket the back end is. <see cref="Listen"/>: QEMU connects to us (its default). <see cref="Connect"/>:
/// QEMU listens (`-chardev socket,...,server=on`) and we connect, and connect again whenever the connection ends; QEMU's
/// vhost-user devices re-initialise the back end on every new connection, so a restarted back end takes over a running VM.
/// </summary>
public enum VhostUserSocketRole
{
    Listen,
    Connect,
}
