using Sync.Filters.Estimation;

namespace Sync.Filters.Discipline;

/// <summary>What the controller decided: the command for the clock and, when the clock's course changed, the adjustment estimators must be told about.</summary>
public sealed record DisciplineDecision(ClockCommand Command, LocalClockAdjustment? Adjustment);
