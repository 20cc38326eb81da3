namespace Sync.Filters.Engine;

/// <summary>
/// Who steers the local clock. <see cref="Steer"/>: the engine's commands are applied, and the estimator is told
/// of every adjustment they make. <see cref="Observe"/> (chrony refclock agent, `--dry-run`, `write_enabled =
/// false`): the commands are not applied, so the estimator is never told of them; it sees the clock as it really
/// runs, including changes someone else makes (chronyd), which the caller reads back from the kernel and hands
/// to <see cref="SyncEngine.OnKernelFrequency"/>. Every offset the engine reports is then local - reference now.
/// </summary>
public enum ClockControl { Steer, Observe }
