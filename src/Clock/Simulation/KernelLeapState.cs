namespace Sync.Clock.Simulation;

/// <summary>
/// The simulated kernel's leap-second state machine (<see cref="SimulatedSystemClock.LeapState"/>), after Linux's
/// second_overflow: Ok (TIME_OK), Inserting (TIME_INS: STA_INS seen, the second is inserted at the coming UTC midnight),
/// Deleting (TIME_DEL), InProgress (TIME_OOP: the inserted second 23:59:60), Wait (TIME_WAIT: until STA_INS/STA_DEL
/// are cleared). The kernel's TIME_ERROR is no state of the machine: it is what clock_adjtime returns while
/// STA_UNSYNC is set, which the simulated clock reports in its status.
/// </summary>
public enum KernelLeapState { Ok, Inserting, Deleting, InProgress, Wait }
