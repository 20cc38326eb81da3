namespace Sync.Filters.Discipline;

/// <summary>Where the discipline is in its life cycle.</summary>
public enum SyncState
{
    /// <summary>Not enough samples yet for an estimate; the clock is left alone (or stepped once, if policy allows).</summary>
    Acquiring,
    /// <summary>Estimates arrive and the clock follows the reference.</summary>
    Tracking,
    /// <summary>No samples: the last frequency is kept and the error bound grows.</summary>
    Holdover,
    /// <summary>A step or frequency jump was detected (e.g. live migration): history is dropped and rebuilt.</summary>
    Recovery,
    /// <summary>Another program steers the clock (<see cref="ForeignWriterGuard"/>): hands off until it has been quiet.</summary>
    Yielding,
}
