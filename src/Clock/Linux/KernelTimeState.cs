namespace Sync.Clock.Linux;

/// <summary>
/// The kernel's time state, clock_adjtime's return value (TIME_OK, TIME_INS, TIME_DEL, TIME_OOP, TIME_WAIT,
/// TIME_ERROR; NativeLayoutTests keep the values equal to the C headers). Decoded by <see cref="TimexEncoding.TimeState"/>.
/// </summary>
public enum KernelTimeState { Ok = 0, InsertingLeap = 1, DeletingLeap = 2, LeapInProgress = 3, LeapWait = 4, Error = 5 }
