namespace Sync.Clock.VhostUser;

/// <summary>One fd handed over at start ($LISTEN_FDS), with its name from $LISTEN_FDNAMES.</summary>
public readonly record struct InheritedFileDescriptor(string Name, int Fd);
